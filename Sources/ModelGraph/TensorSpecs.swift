import TensorCore

/// A tensor a checkpoint of some configuration holds: folder, checkpoint name, shape.
public struct TensorSpec: Sendable {
    public let folder: String
    public let name: String
    public let shape: Shape
    /// A norm's scale (initialised to 1 by synthetic checkpoints).
    public let isNormScale: Bool
}

/// The tensors of a VILA-layout checkpoint for a config, in the names VILA 1.5 saves
/// (vision names without their `vision_model.` prefix).
public enum TensorSpecs {
    public static func vila(_ c: VLMConfig) -> [TensorSpec] {
        var out: [TensorSpec] = []
        func add(_ folder: String, _ name: String, _ dims: [Int], norm: Bool = false) {
            out.append(TensorSpec(folder: folder, name: name, shape: Shape(dims), isNormScale: norm))
        }
        let v = c.vision, d = v.hiddenSize
        add("vision_tower", "embeddings.patch_embedding.weight", [d, v.numChannels, v.patchSize, v.patchSize])
        if v.kind == .siglip { add("vision_tower", "embeddings.patch_embedding.bias", [d]) }
        if v.kind == .clip {
            add("vision_tower", "embeddings.class_embedding", [d])
            add("vision_tower", "pre_layrnorm.weight", [d], norm: true)
            add("vision_tower", "pre_layrnorm.bias", [d])
        }
        add("vision_tower", "embeddings.position_embedding.weight", [v.numPositions, d])
        for l in 0..<v.numLayers {
            let p = "encoder.layers.\(l)."
            for n in ["layer_norm1", "layer_norm2"] { add("vision_tower", p + n + ".weight", [d], norm: true); add("vision_tower", p + n + ".bias", [d]) }
            for n in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                add("vision_tower", p + "self_attn.\(n).weight", [d, d]); add("vision_tower", p + "self_attn.\(n).bias", [d])
            }
            add("vision_tower", p + "mlp.fc1.weight", [v.intermediateSize, d]); add("vision_tower", p + "mlp.fc1.bias", [v.intermediateSize])
            add("vision_tower", p + "mlp.fc2.weight", [d, v.intermediateSize]); add("vision_tower", p + "mlp.fc2.bias", [d])
        }
        let pc = c.projector, h = c.llm.hiddenSize
        switch pc.type {
        case .linear:
            add("mm_projector", "layers.weight", [h, pc.inputSize]); add("mm_projector", "layers.bias", [h])
        case .mlp2xGelu:
            add("mm_projector", "layers.0.weight", [h, pc.inputSize]); add("mm_projector", "layers.0.bias", [h])
            add("mm_projector", "layers.2.weight", [h, h]); add("mm_projector", "layers.2.bias", [h])
        case .mlpDownsample:
            add("mm_projector", "layers.1.weight", [pc.inputSize], norm: true); add("mm_projector", "layers.1.bias", [pc.inputSize])
            add("mm_projector", "layers.2.weight", [h, pc.inputSize]); add("mm_projector", "layers.2.bias", [h])
            add("mm_projector", "layers.4.weight", [h, h]); add("mm_projector", "layers.4.bias", [h])
        }
        let m = c.llm, qd = m.numHeads * m.headDim, kvd = m.numKVHeads * m.headDim
        add("llm", "model.embed_tokens.weight", [m.vocabSize, h])
        for l in 0..<m.numLayers {
            let p = "model.layers.\(l)."
            add("llm", p + "input_layernorm.weight", [h], norm: true)
            add("llm", p + "self_attn.q_proj.weight", [qd, h]); add("llm", p + "self_attn.k_proj.weight", [kvd, h])
            add("llm", p + "self_attn.v_proj.weight", [kvd, h]); add("llm", p + "self_attn.o_proj.weight", [h, qd])
            add("llm", p + "post_attention_layernorm.weight", [h], norm: true)
            add("llm", p + "mlp.gate_proj.weight", [m.intermediateSize, h]); add("llm", p + "mlp.up_proj.weight", [m.intermediateSize, h])
            add("llm", p + "mlp.down_proj.weight", [h, m.intermediateSize])
        }
        add("llm", "model.norm.weight", [h], norm: true)
        if !m.tieWordEmbeddings { add("llm", "lm_head.weight", [m.vocabSize, h]) }
        return out
    }
}
