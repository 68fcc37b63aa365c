import ModelGraph

/// The multimodal projector: image features [tokens, Dv] → LLM embeddings [tokens', D].
public struct ProjectorRunner: Sendable {
    public let config: ProjectorConfig
    let norm: NormParams?
    let layers: [any LinearOperator]

    public init(_ w: any WeightSource) throws {
        config = w.config.projector
        switch config.type {
        case .linear:
            norm = nil
            layers = [try w.linear("projector.linear")]
        case .mlp2xGelu:
            norm = nil
            layers = [try w.linear("projector.fc1"), try w.linear("projector.fc2")]
        case .mlpDownsample:
            norm = try w.layerNorm("projector.norm")
            layers = [try w.linear("projector.fc1"), try w.linear("projector.fc2")]
        }
    }

    /// Projects one image's features.
    public func forward(_ features: [Float], tokens: Int) -> [Float] {
        var x = features
        var rows = tokens
        if let norm {
            (x, rows) = DownSample.merge2x2(features, tokens: tokens, width: config.visionHiddenSize)
            // VILA's LayerNorm(4·Dv) uses PyTorch's default eps.
            Kernels.layerNorm(&x, width: 4 * config.visionHiddenSize, weight: norm.weight, bias: norm.bias, eps: 1e-5)
        }
        x = layers[0].forward(x, rows: rows)
        if layers.count > 1 {
            for i in 0..<x.count { x[i] = Kernels.geluErf(x[i]) }
            x = layers[1].forward(x, rows: rows)
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
