import ModelGraph

/// The multimodal projector: image features [tokens, Dv] → LLM embeddings [tokens', D]. It runs
/// the steps its family declares, so a projector made of known steps needs no code here.
public struct ProjectorRunner: Sendable {
    public let config: ProjectorConfig
    let steps: [BoundProjectorStep<any LinearOperator, AffineParams>]

    public init(_ w: any WeightSource) throws {
        config = w.config.projector
        steps = try w.model.projector.bind(RuntimeSlots(w))
    }

    /// Projects one image's features.
    public func forward(_ features: [Float], tokens: Int) -> [Float] {
        var x = features
        var rows = tokens
        var width = config.visionHiddenSize
        for step in steps {
            switch step {
            case .merge(let k):
                (x, rows) = DownSample.merge(x, tokens: rows, width: width, factor: k, order: config.mergeOrder)
                width *= k * k
            case let .layerNorm(p, eps):
                Kernels.layerNorm(&x, width: width, weight: p.weight, bias: p.bias, eps: eps)
            case .linear(let layer):
                precondition(layer.inFeatures == width)
                x = layer.forward(x, rows: rows)
                width = layer.outFeatures
            case .activation(let a):
                switch a {
                case .geluErf: Kernels.map(&x, Kernels.geluErf)
                case .relu: for i in 0..<x.count { x[i] = max(x[i], 0) }
                }
            }
        }
        return x
    }
}

/// NVlabs VILA's DownSampleBlock family: a square grid of s×s tokens of width C becomes
/// ⌈s/k⌉² tokens of width k²·C. The grid is zero-padded at the bottom, then on the right, to a
/// multiple of k. Merged token (a, b) — block row a, block column b — is the concatenation of
/// cells (ka + i, kb + j) for i, then j, in 0..<k (row-major inside the block). It is emitted at
/// index b·n + a in VILA 1.5's order and a·n + b in NVILA's (formats/golden.md).
public enum DownSample {
    public static func merge(_ x: [Float], tokens: Int, width c: Int, factor k: Int, order: TokenMergeOrder) -> ([Float], Int) {
        let s = Int(Double(tokens).squareRoot().rounded())
        precondition(s * s == tokens && x.count == tokens * c && k >= 1, "a merging projector needs a square grid")
        let n = (s + k - 1) / k
        let w = k * k * c
        var out = [Float](repeating: 0, count: n * n * w)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for a in 0..<n {
                    for b in 0..<n {
                        let o = (order == .vila15 ? b * n + a : a * n + b) * w
                        for i in 0..<k where k * a + i < s {
                            for j in 0..<k where k * b + j < s {
                                let from = ((k * a + i) * s + k * b + j) * c
                                let to = o + (i * k + j) * c
                                for e in 0..<c { dst[to + e] = src[from + e] }
                            }
                        }
                    }
                }
            }
        }
        return (out, n * n)
    }
}
