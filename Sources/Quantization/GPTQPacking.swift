import TensorCore

/// GPTQ's packing (AutoGPTQ `QuantLinear.pack`, the layout GPTQ checkpoints, exllama and vLLM use)
/// converted to VLMKit's asymmetric int4 (formats/quantization.md).
///
/// For N outputs, K inputs and groups of G: `qweight` I32 [K/8, N] — value j (bits 4j…4j+3) of row r
/// is the weight of input 8r + j —, `qzeros` I32 [K/G, N/8] — value i of column c is the zero-point of
/// output 8c + i —, `scales` F16 [K/G, N], `g_idx` I32 [K] (each input's group). Format v1 (AutoGPTQ's
/// default) stores z − 1, v2 (`checkpoint_format: gptq_v2`) stores z; ŵ = (q − z)·s.
public enum GPTQPacking {
    public enum ZeroFormat: String, Sendable { case v1, v2 }

    public struct ConversionError: Error, CustomStringConvertible {
        public let description: String
    }

    /// GPTQ's tensors → VLMKit's, exactly; refused when `gIdx` is not the trivial grouping
    /// (act-order: `dequantize` gives those weights for re-rounding).
    public static func unpack(qweight: [Int32], qzeros: [Int32], scales: [UInt16], gIdx: [Int32]?, rows n: Int, cols k: Int,
                              group g: Int, format: ZeroFormat) throws -> AutoAWQPacking.Int4Linear {
        if let gIdx {
            try checkGroupIndex(gIdx, cols: k, groups: k / max(g, 1))
            if let i = gIdx.indices.first(where: { Int(gIdx[$0]) != $0 / g }) {
                throw ConversionError(description: "g_idx[\(i)] is \(gIdx[i]), not \(i / g): an act-order (desc_act) checkpoint, whose groups are not runs of consecutive inputs; VLMKit's int4 groups are, so it cannot hold these weights exactly")
            }
        }
        return try stored(qweight: qweight, qzeros: qzeros, scales: scales, rows: n, cols: k, group: g, format: format)
    }

    /// True when `gIdx` puts input i in group i / g, as every checkpoint without act-order does.
    public static func isTrivial(_ gIdx: [Int32], group g: Int) -> Bool {
        gIdx.indices.allSatisfy { Int(gIdx[$0]) == $0 / g }
    }

    /// GPTQ's dequantization, ŵ[n, k] = (q − z)·s of input k's group `gIdx[k]` (in f32, row-major
    /// [N, K]): what an act-order checkpoint's weights are.
    public static func dequantize(qweight: [Int32], qzeros: [Int32], scales: [UInt16], gIdx: [Int32], rows n: Int, cols k: Int,
                                  group g: Int, format: ZeroFormat) throws -> [Float] {
        let groups = k / g
        try checkGroupIndex(gIdx, cols: k, groups: groups)
        let m = try stored(qweight: qweight, qzeros: qzeros, scales: scales, rows: n, cols: k, group: g, format: format)
        var out = [Float](repeating: 0, count: n * k)
        for row in 0..<n {
            for col in 0..<k {
                let gi = row * groups + Int(gIdx[col])
                out[row * k + col] = Float(Int(m.value(row: row, col: col, cols: k)) - Int(m.zeros[gi])) * FloatConversion.f16ToF32(m.scales[gi])
            }
        }
        return out
    }

    static func checkGroupIndex(_ gIdx: [Int32], cols k: Int, groups: Int) throws {
        guard gIdx.count == k else { throw ConversionError(description: "g_idx has \(gIdx.count) entries for \(k) inputs") }
        if let i = gIdx.indices.first(where: { gIdx[$0] < 0 || Int(gIdx[$0]) >= groups }) {
            throw ConversionError(description: "g_idx[\(i)] is \(gIdx[i]), outside the \(groups) stored groups")
        }
    }

    /// The stored q, z and s, with z and s indexed by stored group (input k's group is k / g
    /// only without act-order).
    static func stored(qweight: [Int32], qzeros: [Int32], scales: [UInt16], rows n: Int, cols k: Int,
                       group g: Int, format: ZeroFormat) throws -> AutoAWQPacking.Int4Linear {
        guard n > 0, k > 0, g > 0, n % 8 == 0, k % 8 == 0, k % g == 0 else {
            throw ConversionError(description: "GPTQ int4 needs outputs (\(n)) and inputs (\(k)) multiples of 8 and inputs a multiple of the group (\(g))")
        }
        let groups = k / g
        guard qweight.count == k / 8 * n, qzeros.count == groups * n / 8, scales.count == groups * n else {
            throw ConversionError(description: "GPTQ tensors for [\(n), \(k)] group \(g) must be qweight [\(k / 8), \(n)], qzeros [\(groups), \(n / 8)], scales [\(groups), \(n)]; found \(qweight.count), \(qzeros.count), \(scales.count) values")
        }
        var m = AutoAWQPacking.Int4Linear(qweight: [UInt8](repeating: 0, count: n * k / 2), scales: [], zeros: [])
        for r in 0..<(k / 8) {
            for out in 0..<n {
                let word = UInt32(bitPattern: qweight[r * n + out])
                for j in 0..<8 { m.set(UInt8((word >> (4 * UInt32(j))) & 0xF), row: out, col: 8 * r + j, cols: k) }
            }
        }
        var z = [UInt8](repeating: 0, count: n * groups), s = [UInt16](repeating: 0, count: n * groups)
        for gi in 0..<groups {
            for c in 0..<(n / 8) {
                let word = UInt32(bitPattern: qzeros[gi * (n / 8) + c])
                for i in 0..<8 {
                    let stored = Int((word >> (4 * UInt32(i))) & 0xF)
                    let zero = format == .v1 ? stored + 1 : stored
                    guard zero <= 15 else {
                        throw ConversionError(description: "output \(8 * c + i), group \(gi): a v1 zero-point of 16 (stored 15 = z − 1); int4 zero-points end at 15 — the checkpoint may be v2 (checkpoint_format gptq_v2)")
                    }
                    z[(8 * c + i) * groups + gi] = UInt8(zero)
                }
            }
            for out in 0..<n { s[out * groups + gi] = scales[gi * n + out] }
        }
        m.scales = s
        m.zeros = z
        return m
    }
}
