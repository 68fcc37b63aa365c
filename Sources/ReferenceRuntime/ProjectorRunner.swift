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
            case .merge2x2:
                (x, rows) = DownSample.merge2x2(x, tokens: rows, width: width)
                width *= 4
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

/// VILA 1.5's DownSampleBlock: a square grid of s×s tokens of width C becomes ⌈s/2⌉² tokens of
/// width 4C. Odd sizes get a zero row, then a zero column, at the end. Output token (j, i),
/// in order j-major, is the concatenation of grid cells (2i, 2j), (2i, 2j+1), (2i+1, 2j),
/// (2i+1, 2j+1) — the result of VILA's view/permute/view sequence (formats/golden.md).
public enum DownSample {
    public static func merge2x2(_ x: [Float], tokens: Int, width c: Int) -> ([Float], Int) {
        let s = Int(Double(tokens).squareRoot().rounded())
        precondition(s * s == tokens && x.count == tokens * c, "mlp_downsample needs a square grid")
        let half = (s + 1) / 2
        var out = [Float](repeating: 0, count: half * half * 4 * c)
        for j in 0..<half {
            for i in 0..<half {
                let o = (j * half + i) * 4 * c
                let cells = [(2 * i, 2 * j), (2 * i, 2 * j + 1), (2 * i + 1, 2 * j), (2 * i + 1, 2 * j + 1)]
                for (slot, (r, col)) in cells.enumerated() where r < s && col < s {
                    let src = (r * s + col) * c
                    for k in 0..<c { out[o + slot * c + k] = x[src + k] }
                }
            }
        }
        return (out, half * half)
    }
}
