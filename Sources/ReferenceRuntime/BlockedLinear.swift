/// The work (`RowWork`) of y = x · Wᵀ + b for a weight W [n, k] that is not held as f32 (half
/// precision, quantized). Up to `gemvRows` activation rows (decoding) go to a matrix-vector
/// kernel that reads the stored weight directly. More rows (prefill, vision) are computed in
/// pieces of `pieceRows` output features: the worker that claims a piece widens those rows of W
/// into its own buffer and multiplies every activation row with them in one single-threaded sgemm
/// call. Each weight row is widened and packed once per product, the whole weight is never held
/// in f32, and since the pieces depend on the shapes only, no bit depends on the thread count.
public enum BlockedLinear {
    /// Weight rows per piece, from the shape only (never the thread count): large enough that
    /// packing the activations once per piece is small beside the piece's arithmetic, small enough
    /// to balance two threads on 1024 outputs. With many activation rows (the vision tower's 577
    /// tokens) 512: CLIP ViT-L/14-336 encoded in 3.57 s against 4.03 s with 256 (means of 5
    /// alternating runs; 3.88 against 4.14 s in 3 more; OpenBLAS's packing was 27 % of the
    /// encoder's samples at 256). Prefill (fewer rows) was not re-measured and keeps 256.
    public static func pieceRows(rows m: Int) -> Int { m >= 256 ? 512 : 256 }
    public static let gemvRows = 4

    /// - Parameters:
    ///   - gemv: adds x · Wᵀ for all `m` activation rows and the given output features into y
    ///     (row stride n); any range (each feature is computed whole).
    ///   - widenRow: writes row r of W in f32 (k values) to the pointer.
    /// Both are called from worker threads.
    public static func work(_ x: UnsafePointer<Float>, rows m: Int, k: Int, n: Int, bias: [Float]?,
                            gemv: @escaping (_ features: Range<Int>, _ y: UnsafeMutablePointer<Float>) -> Void,
                            widenRow: @escaping (_ row: Int, _ into: UnsafeMutablePointer<Float>) -> Void) -> RowWork {
        if m <= gemvRows {
            return RowWork(outFeatures: n, bias: bias) { features, y, _ in gemv(features, y) }
        }
        let pieceRows = pieceRows(rows: m)
        return RowWork(outFeatures: n, bias: bias, pieceRows: pieceRows, scratchCount: min(pieceRows, n) * k) { features, y, block in
            for r in features { widenRow(r, block + (r - features.lowerBound) * k) }
            // y[:, features] (+)= x · blockᵀ
            Gemm.onThisThread(m: m, n: features.count, k: k, a: x, lda: k, b: block, ldb: k, transposedB: true,
                              beta: bias == nil ? 0 : 1, c: y + features.lowerBound, ldc: n)
        }
    }
}
