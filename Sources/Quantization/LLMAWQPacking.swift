import TensorCore

/// llm-awq / TinyChat real-quant Linears (`*-w4-g128-awq-v2.pt`, the VILA AWQ checkpoints), from
/// mit-han-lab/llm-awq awq/quantize/qmodule.py @ 5f06dbb (`pack_intweight`, `WQLinear.from_linear`):
/// `qweight` I16 [N/4, K] — four output rows interleaved per int16, in blocks of 64 inputs, with
/// the 32-input reorder pack_intweight applies —, `scales` and `scaled_zeros` F16 [G_pad, N] (G_pad ≥ K/G
/// groups, zero-padded), scaled_zeros = f16(−s·z); TinyChat computes ŵ = q·s + scaled_zero.
///
/// Converted to VLMKit's int4: q and s as stored, z = −scaled_zero / s (an integer 0…15 or the file is
/// refused). Not bit-exact: our (q − z)·s differs from q·s + f16(−s·z) by the rounding of s·z to f16,
/// at most half an f16 step of s·z; `unpack` reports the largest difference over the weights.
public enum LLMAWQPacking {
    public struct ConversionError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Where weight (row n, input k) sits: the int16 index in `qweight` and the nibble in it.
    @inline(__always)
    static func location(row n: Int, col kk: Int, cols k: Int) -> (index: Int, nibble: Int) {
        let p = kk % 32, a = p / 8, b = (p % 8) / 2, c = p % 2
        let p1 = b * 8 + a * 2 + c                      // pack_intweight's first transpose
        let d = (p1 % 8) / 2, e = p1 % 2
        let col2 = (kk / 32) * 32 + (p1 / 8) * 8 + e * 4 + d  // its second (the 0,2,4,6,1,3,5,7 order)
        let t = (n % 4) * 64 + col2 % 64                  // interleave 4 rows, kstride 64
        return ((n / 4) * k + (col2 / 64) * 64 + t / 4, t % 4)
    }

    /// The converted Linear and the largest difference of our f16 dequantization from TinyChat's.
    public static func unpack(qweight: [Int16], scales: [UInt16], scaledZeros: [UInt16], rows n: Int, cols k: Int, group g: Int,
                              paddedGroups: Int) throws -> (linear: AutoAWQPacking.Int4Linear, maxAbsDifference: Float) {
        let m = try int4(qweight: qweight, scales: scales, scaledZeros: scaledZeros, rows: n, cols: k, group: g, paddedGroups: paddedGroups)
        let groups = k / g
        var worst: Float = 0
        for row in 0..<n {
            for kk in 0..<k {
                let gi = kk / g
                let qv = Float(m.value(row: row, col: kk, cols: k)), scale = FloatConversion.f16ToF32(m.scales[row * groups + gi])
                let theirs = FloatConversion.f16ToF32(FloatConversion.f32ToF16(qv * scale + FloatConversion.f16ToF32(scaledZeros[gi * n + row])))
                let ours = FloatConversion.f16ToF32(m.dequantizedF16(row: row, col: kk, cols: k, group: g))
                worst = max(worst, abs(theirs - ours))
            }
        }
        return (m, worst)
    }

    /// The converted Linear alone (the importer measures the difference itself).
    public static func int4(qweight: [Int16], scales: [UInt16], scaledZeros: [UInt16], rows n: Int, cols k: Int, group g: Int,
                            paddedGroups: Int) throws -> AutoAWQPacking.Int4Linear {
        try check(qweight: qweight, scales: scales, scaledZeros: scaledZeros, rows: n, cols: k, group: g, paddedGroups: paddedGroups)
        let groups = k / g
        var m = AutoAWQPacking.Int4Linear(qweight: [UInt8](repeating: 0, count: n * k / 2), scales: [], zeros: [])
        for row in 0..<n {
            for kk in 0..<k {
                let (i, nib) = location(row: row, col: kk, cols: k)
                m.set(UInt8((UInt16(bitPattern: qweight[i]) >> (4 * UInt16(nib))) & 0xF), row: row, col: kk, cols: k)
            }
        }
        var z = [UInt8](repeating: 0, count: n * groups), s = [UInt16](repeating: 0, count: n * groups)
        for row in 0..<n {
            for gi in 0..<groups {
                let scale = FloatConversion.f16ToF32(scales[gi * n + row]), sz = FloatConversion.f16ToF32(scaledZeros[gi * n + row])
                let zero = scale == 0 ? 0 : (-sz / scale).rounded()
                guard zero >= 0, zero <= 15, FloatConversion.f32ToF16(-scale * zero) == scaledZeros[gi * n + row] else {
                    throw ConversionError(description: "row \(row), group \(gi): scaled_zero \(sz) with scale \(scale) is not −scale·z for an integer z in 0…15")
                }
                z[row * groups + gi] = UInt8(zero)
                s[row * groups + gi] = scales[gi * n + row]
            }
        }
        m.scales = s
        m.zeros = z
        return m
    }

    static func check(qweight: [Int16], scales: [UInt16], scaledZeros: [UInt16], rows n: Int, cols k: Int, group g: Int,
                      paddedGroups: Int) throws {
        guard n > 0, k > 0, g > 0, n % 4 == 0, k % 64 == 0, k % g == 0 else {
            throw ConversionError(description: "llm-awq int4 needs outputs (\(n)) a multiple of 4 and inputs (\(k)) multiples of 64 and of the group (\(g))")
        }
        guard paddedGroups >= k / g, qweight.count == n / 4 * k, scales.count == paddedGroups * n, scaledZeros.count == paddedGroups * n else {
            throw ConversionError(description: "llm-awq tensors for [\(n), \(k)] group \(g) must be qweight [\(n / 4), \(k)] and scales / scaled_zeros [\(paddedGroups) ≥ \(k / g), \(n)]; found \(qweight.count), \(scales.count), \(scaledZeros.count) values")
        }
    }

    /// TinyChat's dequantization, ŵ = q·s + scaled_zero, in f32 (its kernels round it to f16),
    /// row-major [N, K].
    public static func dequantize(qweight: [Int16], scales: [UInt16], scaledZeros: [UInt16], rows n: Int, cols k: Int, group g: Int,
                                  paddedGroups: Int) throws -> [Float] {
        try check(qweight: qweight, scales: scales, scaledZeros: scaledZeros, rows: n, cols: k, group: g, paddedGroups: paddedGroups)
        var out = [Float](repeating: 0, count: n * k)
        for row in 0..<n {
            for kk in 0..<k {
                let (i, nib) = location(row: row, col: kk, cols: k)
                let q = Float((UInt16(bitPattern: qweight[i]) >> (4 * UInt16(nib))) & 0xF), gi = (kk / g) * n + row
                out[row * k + kk] = q * FloatConversion.f16ToF32(scales[gi]) + FloatConversion.f16ToF32(scaledZeros[gi])
            }
        }
        return out
    }
}
