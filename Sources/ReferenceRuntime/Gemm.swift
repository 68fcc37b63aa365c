import COpenBLAS

/// Row-major single-precision matrix products through OpenBLAS, split over our threads.
///
/// C[m, n] = alpha · op(A) · op(B) + beta · C, where op(B) = Bᵀ for a B stored [n, k]
/// (`transposedB`, a Linear weight) or B for a B stored [k, n], and op(A) = Aᵀ for an A stored
/// [k, m] (`transposedA`, e.g. a Gram matrix XᵀX) or A for an A stored [m, k]. The product is cut into
/// column blocks (or, when there are few columns, row blocks) whose size depends on the shapes
/// only; each block is one single-threaded sgemm call. Because the cut never depends on the
/// thread count, neither does any bit of the result.
public enum Gemm {
    public static let columnBlock = 512
    public static let rowBlock = 64

    public static func sgemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, transposedA: Bool = false,
                             b: UnsafePointer<Float>, ldb: Int, transposedB: Bool,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        func call(rows: Range<Int>, cols: Range<Int>) {
            let aOffset = transposedA ? rows.lowerBound : rows.lowerBound * lda
            let bOffset = transposedB ? cols.lowerBound * ldb : cols.lowerBound
            onThisThread(m: rows.count, n: cols.count, k: k, alpha: alpha, a: a + aOffset, lda: lda, transposedA: transposedA,
                         b: b + bOffset, ldb: ldb, transposedB: transposedB, beta: beta,
                         c: c + rows.lowerBound * ldc + cols.lowerBound, ldc: ldc)
        }
        if n >= 2 * columnBlock {
            let pieces = (n + columnBlock - 1) / columnBlock
            Parallel.forEachPiece(pieces) { p in
                call(rows: 0..<m, cols: (p * columnBlock)..<min(n, (p + 1) * columnBlock))
            }
        } else if m >= 2 * rowBlock {
            let pieces = (m + rowBlock - 1) / rowBlock
            Parallel.forEachPiece(pieces) { p in
                call(rows: (p * rowBlock)..<min(m, (p + 1) * rowBlock), cols: 0..<n)
            }
        } else {
            call(rows: 0..<m, cols: 0..<n)
        }
    }

    /// One single-threaded sgemm call on the calling thread, for callers that cut the work into
    /// pieces of their own (by shapes only, so that no bit depends on the thread count).
    public static func onThisThread(m: Int, n: Int, k: Int, alpha: Float = 1,
                                    a: UnsafePointer<Float>, lda: Int, transposedA: Bool = false,
                                    b: UnsafePointer<Float>, ldb: Int, transposedB: Bool,
                                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        Parallel.blasSingleThreaded.touch()
        cblas_sgemm(CblasRowMajor, transposedA ? CblasTrans : CblasNoTrans, transposedB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
