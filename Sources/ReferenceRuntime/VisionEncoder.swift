import ModelGraph

/// The ViT vision tower, CLIP or SigLIP, with weights loaded to f32. Computes
/// `hidden_states[selectLayer]` and applies the feature selection.
public struct VisionEncoder: Sendable {
    struct Layer: Sendable {
        let norm1, norm2: NormParams
        let q, k, v, o, fc1, fc2: any LinearOperator
    }

    public let config: VisionConfig
    public let selectLayer: Int
    public let selectFeature: FeatureSelection
    let patch: FloatLinear          // conv as a Linear over flattened [C, p, p] patches
    let classEmbed: [Float]?
    let positionEmbed: [Float]      // [positions, D]
    let preNorm: NormParams?
    let layers: [Layer]             // only the layers that run
    let act: (Float) -> Float

    public init(_ tower: VisionTower, selectLayer: Int, selectFeature: FeatureSelection) throws {
        config = tower.config
        self.selectLayer = selectLayer
        self.selectFeature = selectFeature
        let c = tower.config
        let w = try tower.patchEmbed.weight.float32()
        patch = FloatLinear(weight: w.data, bias: try tower.patchEmbed.bias?.float32().data,
                            outFeatures: c.hiddenSize, inFeatures: c.numChannels * c.patchSize * c.patchSize)
        classEmbed = try tower.classEmbed?.float32().data
        positionEmbed = try tower.positionEmbed.float32().data
        preNorm = try tower.preNorm.map(NormParams.init)
        let run = selectLayer >= 0 ? selectLayer : c.numLayers + 1 + selectLayer
        layers = try tower.layers.prefix(run).map {
            Layer(norm1: try NormParams($0.norm1), norm2: try NormParams($0.norm2),
                  q: try FloatLinear($0.q), k: try FloatLinear($0.k), v: try FloatLinear($0.v), o: try FloatLinear($0.o),
                  fc1: try FloatLinear($0.fc1), fc2: try FloatLinear($0.fc2))
        }
        guard let act = Kernels.activation(named: c.hiddenAct) else { preconditionFailure("activation checked by the config") }
        self.act = act
    }

    /// Tokens per image after feature selection.
    public var outputTokens: Int { config.numPositions - (selectFeature == .patch ? 1 : 0) }

    /// One image [C, H, W] (already preprocessed) → selected features [tokens, D].
    public func forward(pixels: ArraySlice<Float>) -> [Float] {
        let c = config, d = c.hiddenSize, p = c.patchSize, g = c.gridSize, size = c.imageSize
        precondition(pixels.count == c.numChannels * size * size)
        let base = pixels.startIndex
        // im2col: each patch (row-major over the grid) flattened as [C, p, p], like the conv weight.
        let patchLen = c.numChannels * p * p
        var cols = [Float](repeating: 0, count: g * g * patchLen)
        for gy in 0..<g {
            for gx in 0..<g {
                var o = (gy * g + gx) * patchLen
                for ch in 0..<c.numChannels {
                    for ky in 0..<p {
                        let row = base + ch * size * size + (gy * p + ky) * size + gx * p
                        for kx in 0..<p { cols[o] = pixels[row + kx]; o += 1 }
                    }
                }
            }
        }
        let patches = patch.forward(cols, rows: g * g)
        let tokens = c.numPositions
        var x = [Float]()
        x.reserveCapacity(tokens * d)
        if let cls = classEmbed { x += cls }
        x += patches
        for i in 0..<x.count { x[i] += positionEmbed[i] }
        if let pre = preNorm { Kernels.layerNorm(&x, width: d, weight: pre.weight, bias: pre.bias, eps: Float(c.layerNormEps)) }
        for layer in layers { x = encoderLayer(layer, x, tokens: tokens) }
        if selectFeature == .patch { x.removeFirst(d) }
        return x
    }

    func encoderLayer(_ l: Layer, _ x: [Float], tokens: Int) -> [Float] {
        let c = config, d = c.hiddenSize, eps = Float(c.layerNormEps)
        var h = x
        Kernels.layerNorm(&h, width: d, weight: l.norm1.weight, bias: l.norm1.bias, eps: eps)
        let q = l.q.forward(h, rows: tokens), k = l.k.forward(h, rows: tokens), v = l.v.forward(h, rows: tokens)
        let a = Attention.forward(q: q, k: k, v: v, tq: tokens, tk: tokens, heads: c.numHeads, kvHeads: c.numHeads,
                                  headDim: c.headDim, causalOffset: nil)
        var out = x
        Kernels.add(&out, l.o.forward(a, rows: tokens))
        h = out
        Kernels.layerNorm(&h, width: d, weight: l.norm2.weight, bias: l.norm2.bias, eps: eps)
        var m = l.fc1.forward(h, rows: tokens)
        for i in 0..<m.count { m[i] = act(m[i]) }
        Kernels.add(&out, l.fc2.forward(m, rows: tokens))
        return out
    }
}
