import CKernels
import Foundation

/// Scaled dot-product attention over row-major [tokens, heads·headDim] buffers, one head at a
/// time: the plain form, used by the vision tower (no mask) and the language model (causal,
/// with grouped key/value heads and a cache offset).
public enum Attention {
    /// - Parameters:
    ///   - q: [tq, heads·hd]; k, v: [tk, kvHeads·hd].
    ///   - causalOffset: when non-nil, query i sits at absolute position offset + i and may
    ///     attend to keys 0...offset + i only.
    /// - Returns: [tq, heads·hd].
    public static func naive(q: [Float], k: [Float], v: [Float], tq: Int, tk: Int,
                               heads: Int, kvHeads: Int, headDim hd: Int, causalOffset: Int?) -> [Float] {
        precondition(heads % kvHeads == 0)
        let group = heads / kvHeads
        let qStride = heads * hd, kvStride = kvHeads * hd
        precondition(q.count == tq * qStride && k.count == tk * kvStride && v.count == tk * kvStride)
        let scale = Float(1 / Double(hd).squareRoot())
        var out = [Float](repeating: 0, count: tq * qStride)
        var scores = [Float](repeating: 0, count: tk)
        for h in 0..<heads {
            let kh = h / group
            for i in 0..<tq {
                let visible = causalOffset.map { min(tk, $0 + i + 1) } ?? tk
                let qBase = i * qStride + h * hd
                for j in 0..<visible {
                    let kBase = j * kvStride + kh * hd
                    var dot: Float = 0
                    for d in 0..<hd { dot += q[qBase + d] * k[kBase + d] }
                    scores[j] = dot * scale
                }
                scores.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: visible) }
                let oBase = i * qStride + h * hd
                for j in 0..<visible {
                    let w = scores[j]
                    let vBase = j * kvStride + kh * hd
                    for d in 0..<hd { out[oBase + d] += w * v[vBase + d] }
                }
            }
        }
        return out
    }

    /// The same computation with OpenBLAS: per head, scores = Q·Kᵀ and out = P·V as strided
    /// sgemm calls, with masking as in `naive` (its oracle) and the vectorized softmax. Heads are
    /// the pieces the threads claim, each with its own score buffer and single-threaded sgemm
    /// calls, so no bit depends on the thread count.
    public static func forward(q: [Float], k: [Float], v: [Float], tq: Int, tk: Int,
                               heads: Int, kvHeads: Int, headDim hd: Int, causalOffset: Int?,
                               kernels: KernelPath = ComputeContext.current.kernels) -> [Float] {
        precondition(heads % kvHeads == 0)
        let group = heads / kvHeads
        let qStride = heads * hd, kvStride = kvHeads * hd
        precondition(q.count == tq * qStride && k.count == tk * kvStride && v.count == tk * kvStride)
        var out = [Float](repeating: 0, count: tq * qStride)
        guard tq > 0, tk > 0 else { return out }
        if tq <= Self.directRows {
            return direct(q: q, k: k, v: v, tq: tq, tk: tk, heads: heads, kvHeads: kvHeads, headDim: hd, causalOffset: causalOffset,
                          kernels: kernels)
        }
        let scale = Float(1 / Double(hd).squareRoot())
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    out.withUnsafeMutableBufferPointer { op in
                        let qb = qp.baseAddress!, kb = kp.baseAddress!, vb = vp.baseAddress!, ob = op.baseAddress!
                        Parallel.forEachPiece(heads, scratchCount: tq * tk) { h, scores in
                            let kh = h / group
                            // scores[tq, tk] = scale · Q_h · K_hᵀ
                            Gemm.onThisThread(m: tq, n: tk, k: hd, alpha: scale, a: qb + h * hd, lda: qStride,
                                              b: kb + kh * hd, ldb: kvStride, transposedB: true, beta: 0, c: scores, ldc: tk)
                            for i in 0..<tq {
                                let row = scores + i * tk
                                let visible = causalOffset.map { min(tk, $0 + i + 1) } ?? tk
                                Kernels.fastSoftmax(row, count: visible, kernels: kernels)
                                if visible < tk { (row + visible).update(repeating: 0, count: tk - visible) }
                            }
                            // out_h[tq, hd] = P · V_h
                            Gemm.onThisThread(m: tq, n: hd, k: tk, a: scores, lda: tk, b: vb + kh * hd, ldb: kvStride,
                                              transposedB: false, beta: 0, c: ob + h * hd, ldc: qStride)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Up to this many query rows (decoding) are computed by `direct`: two small sgemm calls per
    /// head cost more in OpenBLAS set-up than the arithmetic itself.
    public static let directRows = 4

    /// Attention for a few query rows: one C call per (head, row) (attention.c: vectorized dots,
    /// softmax and value sums), heads split over threads; `naive` is its oracle.
    static func direct(q: [Float], k: [Float], v: [Float], tq: Int, tk: Int,
                       heads: Int, kvHeads: Int, headDim hd: Int, causalOffset: Int?,
                       kernels: KernelPath = ComputeContext.current.kernels) -> [Float] {
        let group = heads / kvHeads
        let qStride = heads * hd, kvStride = kvHeads * hd
        let scale = Float(1 / Double(hd).squareRoot())
        let attend = kernels == .portable ? vlm_attend_row_portable : vlm_attend_row
        var out = [Float](repeating: 0, count: tq * qStride)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    out.withUnsafeMutableBufferPointer { op in
                        let qb = qp.baseAddress!, kb = kp.baseAddress!, vb = vp.baseAddress!, ob = op.baseAddress!
                        // Heads in pieces of 4 (enough work per claim at short contexts).
                        let perPiece = 4, pieces = (heads + perPiece - 1) / perPiece
                        Parallel.forEachPiece(pieces, scratchCount: tk) { p, scores in
                            for h in (p * perPiece)..<min(heads, (p + 1) * perPiece) {
                                let kh = h / group
                                for i in 0..<tq {
                                    let visible = causalOffset.map { min(tk, $0 + i + 1) } ?? tk
                                    attend(qb + i * qStride + h * hd, kb + kh * hd, vb + kh * hd, visible, hd, kvStride, scale,
                                           scores, ob + i * qStride + h * hd)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
