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
    public static func forward(q: [Float], k: [Float], v: [Float], tq: Int, tk: Int,
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
}
