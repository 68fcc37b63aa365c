/// One Linear's product y = x · Wᵀ (+ b) for given activation rows, prepared (activations rounded,
/// split, …) but not yet run, as work over ranges of output features that threads can claim.
/// Several layers reading the same input — q, k and v; gate and up — run their work in one
/// parallel pass (`FusedLinear`) instead of one pass (and one wait for the slowest thread) each.
///
/// Results may not depend on the ranges: either each output feature is computed whole by one
/// call whatever range it falls in (`pieceRows == nil`: matrix-vector and integer-dot kernels),
/// or the work fixes its pieces (`pieceRows`: widened blocks into sgemm), which depend on the shapes only.
public struct RowWork: @unchecked Sendable {
    public let outFeatures: Int
    public let bias: [Float]?
    /// Output features per piece when the work fixes them; nil = any contiguous range.
    public let pieceRows: Int?
    /// Floats of per-worker scratch a call needs (for a fixed piece).
    public let scratchCount: Int
    /// Adds the rows' products into y (row stride `outFeatures`, already holding the bias).
    public let run: (_ rows: Range<Int>, _ y: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) -> Void

    public init(outFeatures: Int, bias: [Float]?, pieceRows: Int? = nil, scratchCount: Int = 0,
                run: @escaping (_ rows: Range<Int>, _ y: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        self.outFeatures = outFeatures
        self.bias = bias
        self.pieceRows = pieceRows
        self.scratchCount = scratchCount
        self.run = run
    }

    /// Output features per claimed range for kernels that accept any range: enough to amortize a
    /// claim, small enough that a slowed thread hands the rest to the other.
    public static let flexibleRows = 64
}

/// Runs the work of several Linears over the same activations in one parallel pass.
public enum FusedLinear {
    /// y_j = x · W_jᵀ + b_j for each layer j; x holds `rows` rows of the layers' common inFeatures.
    public static func forward(_ layers: [any LinearOperator], _ x: [Float], rows m: Int) -> [[Float]] {
        guard let k = layers.first?.inFeatures else { return [] }
        precondition(layers.allSatisfy { $0.inFeatures == k } && x.count == m * k)
        if m == 0 { return layers.map { _ in [] } }
        return x.withUnsafeBufferPointer { xp in
            let works = layers.map { $0.rowWork(xp.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!, rows: m) }
            let outputs = works.map { OutputBox(Matmul.output(rows: m, n: $0.outFeatures, bias: $0.bias)) }
            guard k > 0 else { return outputs.map(\.values) }   // no inputs: the bias alone
            // Pieces over all layers, in order: (layer, output features).
            var pieces: [(layer: Int, rows: Range<Int>)] = []
            for (j, w) in works.enumerated() {
                let step = w.pieceRows ?? RowWork.flexibleRows
                var r = 0
                while r < w.outFeatures { pieces.append((j, r..<min(w.outFeatures, r + step))); r += step }
            }
            let scratch = works.map(\.scratchCount).max() ?? 0
            func withOutputs(_ j: Int, _ pointers: [UnsafeMutablePointer<Float>]) {
                if j == outputs.count {
                    Parallel.forEachPiece(pieces.count, scratchCount: scratch) { p, buffer in
                        let piece = pieces[p]
                        works[piece.layer].run(piece.rows, pointers[piece.layer], buffer)
                    }
                    return
                }
                outputs[j].values.withUnsafeMutableBufferPointer { p in
                    // A layer without outputs has no pieces: its pointer is never used.
                    withOutputs(j + 1, pointers + [p.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Float>.alignment)!])
                }
            }
            withOutputs(0, [])
            return outputs.map(\.values)
        }
    }
}

/// One layer's output buffer: a box of its own, so that all of them can be open for writing at once.
final class OutputBox {
    var values: [Float]
    init(_ values: [Float]) { self.values = values }
}
