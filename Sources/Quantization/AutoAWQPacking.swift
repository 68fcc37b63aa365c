/// AutoAWQ's GEMM packing (WQLinear_GEMM, autoawq 0.2.9 `from_linear`; the format vLLM,
/// TensorRT-LLM, sglang and transformers load as `quant_method: awq`, `version: gemm`), and the
/// exact conversion to and from VLMKit's asymmetric int4 (formats/quantization.md).
///
/// For a Linear of N outputs and K inputs with groups of G inputs: `qweight` I32 [K, N/8] and
/// `qzeros` I32 [K/G, N/8], each int32 holding 8 four-bit values, value i (bits 4i…4i+3) for
/// output column 8j + order[i] with order = 0, 2, 4, 6, 1, 3, 5, 7; `scales` F16 [K/G, N];
/// ŵ = (q − z)·s. VLMKit's int4-gG stores the same q, z and s — two weights per byte along a row,
/// one zero-point byte and one f16 scale per row and group — so the conversion is a permutation
/// of nibbles: no value changes.
public enum AutoAWQPacking {
    public static let order = [0, 2, 4, 6, 1, 3, 5, 7]

    /// One Linear in VLMKit's int4 layout: `qweight` U8 [N, K/2] (even column in the low nibble),
    /// `scales` f16 bits [N, K/G], `zeros` U8 [N, K/G].
    public struct Int4Linear: Equatable {
        public var qweight: [UInt8]
        public var scales: [UInt16]
        public var zeros: [UInt8]
    }

    public struct ShapeError: Error, CustomStringConvertible {
        public let description: String
    }

    static func check(rows n: Int, cols k: Int, group g: Int) throws {
        guard n > 0, k > 0, g > 0, n % 8 == 0, k % g == 0, k % 2 == 0 else {
            throw ShapeError(description: "AutoAWQ GEMM needs outputs (\(n)) a multiple of 8 and inputs (\(k)) a multiple of the group (\(g)) and of 2")
        }
    }

    /// AutoAWQ's tensors → VLMKit's. Every value is kept.
    public static func unpack(qweight: [Int32], qzeros: [Int32], scales: [UInt16], rows n: Int, cols k: Int, group g: Int) throws -> Int4Linear {
        try check(rows: n, cols: k, group: g)
        let words = n / 8, groups = k / g
        guard qweight.count == k * words, qzeros.count == groups * words, scales.count == groups * n else {
            throw ShapeError(description: "AutoAWQ tensors for [\(n), \(k)] group \(g) must be qweight [\(k), \(words)], qzeros [\(groups), \(words)], scales [\(groups), \(n)]; found \(qweight.count), \(qzeros.count), \(scales.count) values")
        }
        var q = [UInt8](repeating: 0, count: n * k / 2)
        for row in 0..<k {
            for j in 0..<words {
                let word = UInt32(bitPattern: qweight[row * words + j])
                for i in 0..<8 {
                    let v = UInt8((word >> (4 * UInt32(i))) & 0xF)
                    let out = 8 * j + order[i]
                    q[out * (k / 2) + row / 2] |= row % 2 == 0 ? v : v << 4
                }
            }
        }
        var z = [UInt8](repeating: 0, count: n * groups), s = [UInt16](repeating: 0, count: n * groups)
        for gi in 0..<groups {
            for j in 0..<words {
                let word = UInt32(bitPattern: qzeros[gi * words + j])
                for i in 0..<8 { z[(8 * j + order[i]) * groups + gi] = UInt8((word >> (4 * UInt32(i))) & 0xF) }
            }
            for out in 0..<n { s[out * groups + gi] = scales[gi * n + out] }
        }
        return Int4Linear(qweight: q, scales: s, zeros: z)
    }

    /// VLMKit's int4 → AutoAWQ's tensors (for `export --format autoawq`).
    public static func pack(_ m: Int4Linear, rows n: Int, cols k: Int, group g: Int) throws -> (qweight: [Int32], qzeros: [Int32], scales: [UInt16]) {
        try check(rows: n, cols: k, group: g)
        let words = n / 8, groups = k / g
        var qw = [Int32](repeating: 0, count: k * words), qz = [Int32](repeating: 0, count: groups * words)
        var s = [UInt16](repeating: 0, count: groups * n)
        for row in 0..<k {
            for j in 0..<words {
                var word: UInt32 = 0
                for i in 0..<8 {
                    let byte = m.qweight[(8 * j + order[i]) * (k / 2) + row / 2]
                    word |= UInt32(row % 2 == 0 ? byte & 0xF : byte >> 4) << (4 * UInt32(i))
                }
                qw[row * words + j] = Int32(bitPattern: word)
            }
        }
        for gi in 0..<groups {
            for j in 0..<words {
                var word: UInt32 = 0
                for i in 0..<8 { word |= UInt32(m.zeros[(8 * j + order[i]) * groups + gi] & 0xF) << (4 * UInt32(i)) }
                qz[gi * words + j] = Int32(bitPattern: word)
            }
            for out in 0..<n { s[gi * n + out] = m.scales[out * groups + gi] }
        }
        return (qw, qz, s)
    }
}
