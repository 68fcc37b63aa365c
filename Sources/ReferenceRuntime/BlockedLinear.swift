/// y = x · Wᵀ + b for a weight W [n, k] that is not held as f32 (half precision, quantized).
/// Up to `gemvRows` activation rows (decoding) go to a matrix-vector kernel that reads the stored
/// weight directly. More rows (prefill, vision) are computed in pieces of `pieceRows` output
/// columns: the worker that claims a piece widens those rows of W into its own buffer and
/// multiplies every activation row with them in one single-threaded sgemm call. Each weight row
/// is widened and packed once per product, the whole weight is never held in f32, and since the
/// pieces depend on the shapes only, no bit depends on the thread count.
public enum BlockedLinear {
    /// Weight rows per piece: large enough that packing the activations once per piece is a few
    /// per cent of the piece's arithmetic, small enough to balance two threads on 1024 outputs.
    public static let pieceRows = 256
    public static let gemvRows = 4

    /// - Parameters:
    ///   - gemv: adds x · Wᵀ for all `rows` activation rows into y (which already holds the bias).
    ///   - widenRow: writes row r of W in f32 (k values) to the pointer; called from worker threads.
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
                let xb = xp.baseAddress!, yb = yp.baseAddress!
                let pieces = (n + pieceRows - 1) / pieceRows
                Parallel.forEachPiece(pieces, scratchCount: min(pieceRows, n) * k) { p, block in
                    let r0 = p * pieceRows, nb = min(pieceRows, n - r0)
                    for r in 0..<nb { widenRow(r0 + r, block + r * k) }
                    // y[:, r0..<r0+nb] (+)= x · blockᵀ
                    Gemm.onThisThread(m: m, n: nb, k: k, a: xb, lda: k, b: block, ldb: k, transposedB: true,
                                      beta: bias == nil ? 0 : 1, c: yb + r0, ldc: n)
                }
            }
        }
        return y
    }
}
