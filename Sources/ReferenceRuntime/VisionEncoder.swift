import ModelGraph

/// The ViT vision tower — CLIP, SigLIP or InternViT — with weights loaded to f32. Computes
/// `hidden_states[selectLayer]` and applies the feature selection.
public struct VisionEncoder: Sendable {
    typealias Layer = ViTLayerWeights<any LinearOperator, AffineParams, [Float]>

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
        let m = try VisionTowerFamilies.bind(RuntimeSlots(w), kind: c.kind, layers: w.config.visionLayersUsed, config: w.config)
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
        if let pre = preNorm { x = norm(x, pre) }
        for layer in layers { x = encoderLayer(layer, x, tokens: tokens) }
        if selectFeature == .patch { x.removeFirst(d) }
        return x
    }

    func encoderLayer(_ l: Layer, _ x: [Float], tokens: Int) -> [Float] {
        let c = config, d = c.hiddenSize
        var h = norm(x, l.norm1)
        var q: [Float], k: [Float], v: [Float]
        switch l.attention {
        case let .separate(wq, wk, wv):
            let qkv = FusedLinear.forward([wq, wk, wv], h, rows: tokens)   // one parallel pass for the three
            (q, k, v) = (qkv[0], qkv[1], qkv[2])
        case let .fused(w):
            // InternViT: one [3D, D] Linear; each row holds q, then k, then v (heads contiguous in each).
            (q, k, v) = Self.split(w.forward(h, rows: tokens), rows: tokens, width: d)
        }
        // InternViT's q_norm / k_norm: RMSNorm over all heads of a token together.
        if let qn = l.qNorm { q = Kernels.rmsNorm(q, width: d, weight: qn.weight, eps: Float(c.layerNormEps)) }
        if let kn = l.kNorm { k = Kernels.rmsNorm(k, width: d, weight: kn.weight, eps: Float(c.layerNormEps)) }
        let a = Attention.forward(q: q, k: k, v: v, tq: tokens, tk: tokens, heads: c.numHeads, kvHeads: c.numHeads,
                                  headDim: c.headDim, causalOffset: nil)
        var out = x
        Kernels.add(&out, Self.scaled(l.o.forward(a, rows: tokens), l.scale1, width: d))
        h = norm(out, l.norm2)
        var m = l.fc1.forward(h, rows: tokens)
        act.apply(&m)
        Kernels.add(&out, Self.scaled(l.fc2.forward(m, rows: tokens), l.scale2, width: d))
        return out
    }

    /// LayerNorm (CLIP, SigLIP) or RMSNorm (InternViT).
    func norm(_ x: [Float], _ p: AffineParams) -> [Float] {
        if config.kind == .intern { return Kernels.rmsNorm(x, width: config.hiddenSize, weight: p.weight, eps: Float(config.layerNormEps)) }
        var h = x
        Kernels.layerNorm(&h, width: config.hiddenSize, weight: p.weight, bias: p.bias, eps: Float(config.layerNormEps))
        return h
    }

    /// Rows of [q | k | v] → three [rows, width] matrices.
    static func split(_ qkv: [Float], rows: Int, width d: Int) -> ([Float], [Float], [Float]) {
        var q = [Float](), k = [Float](), v = [Float]()
        q.reserveCapacity(rows * d); k.reserveCapacity(rows * d); v.reserveCapacity(rows * d)
        for r in 0..<rows {
            let base = r * 3 * d
            q += qkv[base..<(base + d)]
            k += qkv[(base + d)..<(base + 2 * d)]
            v += qkv[(base + 2 * d)..<(base + 3 * d)]
        }
        return (q, k, v)
    }

    /// `x · scale` per channel (InternViT's ls1 / ls2), or x as is.
    static func scaled(_ x: [Float], _ scale: [Float]?, width d: Int) -> [Float] {
        guard let scale else { return x }
        var out = x
        for i in 0..<out.count { out[i] *= scale[i % d] }
        return out
    }
}
