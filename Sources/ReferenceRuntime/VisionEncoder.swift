import ModelGraph

/// The ViT vision tower, CLIP or SigLIP, with weights loaded to f32. Computes
/// `hidden_states[selectLayer]` and applies the feature selection.
public struct VisionEncoder: Sendable {
    typealias Layer = ViTLayerWeights<any LinearOperator, AffineParams>

    public let config: VisionConfig
    public let selectLayer: Int
    public let selectFeature: FeatureSelection
    let patch: FloatLinear          // conv as a Linear over flattened [C, p, p] patches
    let classEmbed: [Float]?
    let positionEmbed: [Float]      // [positions, D]
    let preNorm: AffineParams?
    let layers: [Layer]             // only the layers that run
    let act: Activation

    public init(_ w: any WeightSource) throws {
        let c = w.config.vision
        config = c
        selectLayer = w.config.selectLayer
        selectFeature = w.config.selectFeature
        let m = try VisionTowerFamilies.bind(RuntimeSlots(w), kind: c.kind, layers: w.config.visionLayersUsed)
        patch = FloatLinear(weight: m.patchEmbed.weight, bias: m.patchEmbed.bias,
                            outFeatures: c.hiddenSize, inFeatures: c.numChannels * c.patchSize * c.patchSize)
        classEmbed = m.classEmbed
        positionEmbed = m.positionEmbed
        preNorm = m.preNorm
        layers = m.layers
        guard let act = Activation(named: c.hiddenAct) else { preconditionFailure("activation checked by the config") }
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
        let qkv = FusedLinear.forward([l.q, l.k, l.v], h, rows: tokens)   // one parallel pass for the three
        let a = Attention.forward(q: qkv[0], k: qkv[1], v: qkv[2], tq: tokens, tk: tokens, heads: c.numHeads, kvHeads: c.numHeads,
                                  headDim: c.headDim, causalOffset: nil)
        var out = x
        Kernels.add(&out, l.o.forward(a, rows: tokens))
        h = out
        Kernels.layerNorm(&h, width: d, weight: l.norm2.weight, bias: l.norm2.bias, eps: eps)
        var m = l.fc1.forward(h, rows: tokens)
        act.apply(&m)
        Kernels.add(&out, l.fc2.forward(m, rows: tokens))
        return out
    }
}
