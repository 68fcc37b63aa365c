/// y = x · Wᵀ + b for a weight W [n, k] that is not held as f32 (half precision, quantized).
/// Up to `gemvRows` activation rows (decoding) go to a matrix-vector kernel that reads the stored
/// weight directly; more rows (prefill, vision) widen `blockRows` rows of W at a time into a
/// buffer (split over threads) and multiply them with OpenBLAS sgemm, so the whole weight is never
/// held in f32.
public enum BlockedLinear {
    public static let blockRows = 512
    public static let gemvRows = 4

    /// - Parameters:
    ///   - gemv: adds x · Wᵀ for all `rows` activation rows into y (which already holds the bias).
    ///   - widenRow: writes row r of W in f32 (k values) to the pointer.
    public static func forward(_ x: [Float], rows m: Int, k: Int, n: Int, bias: [Float]?,
                               gemv: (_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) -> Void,
                               widenRow: (_ row: Int, _ into: UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        precondition(x.count == m * k)
        var y = Matmul.output(rows: m, n: n, bias: bias)
        guard m > 0, n > 0, k > 0 else { return y }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if m <= gemvRows {
                    gemv(xp.baseAddress!, yp.baseAddress!)
                    return
                }
                var block = [Float](repeating: 0, count: min(blockRows, n) * k)
                block.withUnsafeMutableBufferPointer { bp in
                    let b = bp.baseAddress!
                    var r0 = 0
                    while r0 < n {
                        let nb = min(blockRows, n - r0)
                        Parallel.forEachChunk(nb, minimumPerChunk: 32) { rows in
                            for r in rows { widenRow(r0 + r, b + r * k) }
                        }
                        // y[:, r0..<r0+nb] (+)= x · blockᵀ
                        Gemm.sgemm(m: m, n: nb, k: k, a: xp.baseAddress!, lda: k, b: b, ldb: k, transposedB: true,
                                   beta: bias == nil ? 0 : 1, c: yp.baseAddress! + r0, ldc: n)
                        r0 += nb
                    }
                }
            }
        }
        return y
    }
}
