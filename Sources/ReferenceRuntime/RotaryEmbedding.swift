import Foundation
import ModelGraph

/// Rotary position embeddings in Hugging Face's rotate-half convention: dimension d of a head
/// pairs with d + hd/2, both rotated by angle position · invFreq[d mod hd/2].
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    /// One frequency per pair, after scaling.
    public let invFreq: [Float]

    public init(headDim: Int, theta: Double, scaling: RopeScaling?) {
        self.headDim = headDim
        let half = headDim / 2
        // As transformers: computed in float32 from an int64 arange.
        var freqs = (0..<half).map { i -> Float in
            let exponent = Float(2 * i) / Float(headDim)
            return 1 / Float(pow(theta, Double(exponent)))
        }
        switch scaling {
        case nil:
            break
        case let .linear(factor)?:
            freqs = freqs.map { $0 / Float(factor) }
        case let .llama3(factor, low, high, original)?:
            // Llama 3.1: keep high frequencies, divide low ones by `factor`, interpolate between.
            let lowWavelen = Double(original) / low
            let highWavelen = Double(original) / high
            freqs = freqs.map { f in
                let wavelen = 2 * Double.pi / Double(f)
                if wavelen < highWavelen { return f }
                if wavelen > lowWavelen { return f / Float(factor) }
                let smooth = (Double(original) / wavelen - low) / (high - low)
                return Float((1 - smooth) * Double(f) / factor + smooth * Double(f))
            }
        }
        invFreq = freqs
    }

    /// Rotates every head of `x` ([tokens, heads·hd]) where token t is at position start + t.
    public func apply(_ x: inout [Float], tokens: Int, heads: Int, startPosition: Int) {
        let half = headDim / 2, hd = headDim
        precondition(x.count == tokens * heads * headDim)
        let freqs = invFreq
        // Tokens are independent: split over threads (same result for any count).
        x.withUnsafeMutableBufferPointer { xp in
            let xb = xp.baseAddress!
            Parallel.forEachChunk(tokens, minimumPerChunk: 8) { range in
                var cosv = [Float](repeating: 0, count: half), sinv = [Float](repeating: 0, count: half)
                for t in range {
                    let pos = Float(startPosition + t)
                    for i in 0..<half {
                        let angle = pos * freqs[i]  // float32 product, as transformers computes it
                        cosv[i] = Float(cos(Double(angle)))
                        sinv[i] = Float(sin(Double(angle)))
                    }
                    for h in 0..<heads {
                        let base = xb + (t * heads + h) * hd
                        for i in 0..<half {
                            let a = base[i], b = base[i + half]
                            base[i] = a * cosv[i] - b * sinv[i]
                            base[i + half] = b * cosv[i] + a * sinv[i]
                        }
                    }
                }
            }
        }
    }
}
