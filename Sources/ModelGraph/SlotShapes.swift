/// Every slot a configuration implies, with its shape: the contract a stored model (quantized
/// folder, bundle) is checked against before anything runs. Mirrors what `GraphBuilder` binds
/// from a checkpoint; a test keeps the two in agreement on every fixture.
public enum SlotShapes {
    /// Slot name → shape. Optional slots (biases the config enables) are included only when enabled.
    public static func expected(_ c: VLMConfig) -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        let v = c.vision, d = v.hiddenSize, vi = v.intermediateSize
        out["vision.patch_embed.weight"] = [d, v.numChannels, v.patchSize, v.patchSize]
        if v.kind == .siglip { out["vision.patch_embed.bias"] = [d] }
        if v.kind == .clip {
            out["vision.class_embed"] = [d]
            out["vision.pre_norm.weight"] = [d]
            out["vision.pre_norm.bias"] = [d]
        }
        out["vision.pos_embed"] = [v.numPositions, d]
        for l in 0..<v.numLayers {
            let p = "vision.layers.\(l)"
            for n in ["norm1", "norm2"] { out["\(p).\(n).weight"] = [d]; out["\(p).\(n).bias"] = [d] }
            for n in ["q", "k", "v", "o"] { out["\(p).attn.\(n).weight"] = [d, d]; out["\(p).attn.\(n).bias"] = [d] }
            out["\(p).mlp.fc1.weight"] = [vi, d]; out["\(p).mlp.fc1.bias"] = [vi]
            out["\(p).mlp.fc2.weight"] = [d, vi]; out["\(p).mlp.fc2.bias"] = [d]
        }
        let pc = c.projector, h = c.llm.hiddenSize
        func linear(_ prefix: String, _ rows: Int, _ cols: Int, bias: Bool) {
            out[prefix + ".weight"] = [rows, cols]
            if bias { out[prefix + ".bias"] = [rows] }
        }
        switch pc.type {
        case .linear: linear("projector.linear", h, pc.inputSize, bias: pc.hasBias)
        case .mlp2xGelu:
            linear("projector.fc1", h, pc.inputSize, bias: pc.hasBias)
            linear("projector.fc2", h, h, bias: pc.hasBias)
        case .mlpDownsample:
            out["projector.norm.weight"] = [pc.inputSize]
            out["projector.norm.bias"] = [pc.inputSize]
            linear("projector.fc1", h, pc.inputSize, bias: pc.hasBias)
            linear("projector.fc2", h, h, bias: pc.hasBias)
        }
        let m = c.llm, qd = m.numHeads * m.headDim, kvd = m.numKVHeads * m.headDim, i = m.intermediateSize
        out["llm.embed_tokens.weight"] = [m.vocabSize, h]
        for l in 0..<m.numLayers {
            let p = "llm.layers.\(l)"
            out[p + ".attn_norm.weight"] = [h]
            out[p + ".mlp_norm.weight"] = [h]
            linear(p + ".attn.q", qd, h, bias: m.attentionBias)
            linear(p + ".attn.k", kvd, h, bias: m.attentionBias)
            linear(p + ".attn.v", kvd, h, bias: m.attentionBias)
            linear(p + ".attn.o", h, qd, bias: m.attentionBias)
            linear(p + ".mlp.gate", i, h, bias: m.mlpBias)
            linear(p + ".mlp.up", i, h, bias: m.mlpBias)
            linear(p + ".mlp.down", h, i, bias: m.mlpBias)
        }
        out["llm.norm.weight"] = [h]
        if !m.tieWordEmbeddings { out["llm.lm_head.weight"] = [m.vocabSize, h] }
        return out
    }
}
