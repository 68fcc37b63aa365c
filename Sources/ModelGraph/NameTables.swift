/// Checkpoint tensor names → graph slot names, as plain data.
///
/// A rule's `source` is relative to the prefix the layout gives its table (for example
/// `model.` inside `llm/`, `language_model.model.` inside a LLaVA-HF folder); `{L}` stands for
/// a layer number. Slot names are VLMKit's own and are the same for every layout, so the
/// rest of the toolchain never sees a layout's spelling. formats/checkpoint-layouts.md prints
/// these tables.
public struct NameRule: Sendable {
    public let source: String
    public let slot: String
}

/// A source name that is known and deliberately not loaded, with the reason.
public struct IgnoreRule: Sendable {
    public let source: String
    public let reason: String
}

public struct NameTable: Sendable {
    public let name: String
    public let rules: [NameRule]
    public let ignored: [IgnoreRule]

    init(_ name: String, _ rules: [(String, String)], ignored: [(String, String)] = []) {
        self.name = name
        self.rules = rules.map { NameRule(source: $0.0, slot: $0.1) }
        self.ignored = ignored.map { IgnoreRule(source: $0.0, reason: $0.1) }
    }
}

public enum NameTables {
    /// The decoder of a `LlamaForCausalLM` (`LlamaModel`), relative to its `model.` prefix.
    public static let llamaDecoder = NameTable("llama-decoder", [
        ("embed_tokens.weight", "llm.embed_tokens.weight"),                          // nn.Embedding [V, H]
        ("layers.{L}.input_layernorm.weight", "llm.layers.{L}.attn_norm.weight"),    // RMSNorm [H]
        ("layers.{L}.self_attn.q_proj.weight", "llm.layers.{L}.attn.q.weight"),      // [heads·hd, H]
        ("layers.{L}.self_attn.q_proj.bias", "llm.layers.{L}.attn.q.bias"),          // only with attention_bias
        ("layers.{L}.self_attn.k_proj.weight", "llm.layers.{L}.attn.k.weight"),      // [kv_heads·hd, H]
        ("layers.{L}.self_attn.k_proj.bias", "llm.layers.{L}.attn.k.bias"),
        ("layers.{L}.self_attn.v_proj.weight", "llm.layers.{L}.attn.v.weight"),      // [kv_heads·hd, H]
        ("layers.{L}.self_attn.v_proj.bias", "llm.layers.{L}.attn.v.bias"),
        ("layers.{L}.self_attn.o_proj.weight", "llm.layers.{L}.attn.o.weight"),      // [H, heads·hd]
        ("layers.{L}.self_attn.o_proj.bias", "llm.layers.{L}.attn.o.bias"),
        ("layers.{L}.post_attention_layernorm.weight", "llm.layers.{L}.mlp_norm.weight"),
        ("layers.{L}.mlp.gate_proj.weight", "llm.layers.{L}.mlp.gate.weight"),       // [I, H]
        ("layers.{L}.mlp.gate_proj.bias", "llm.layers.{L}.mlp.gate.bias"),           // only with mlp_bias
        ("layers.{L}.mlp.up_proj.weight", "llm.layers.{L}.mlp.up.weight"),           // [I, H]
        ("layers.{L}.mlp.up_proj.bias", "llm.layers.{L}.mlp.up.bias"),
        ("layers.{L}.mlp.down_proj.weight", "llm.layers.{L}.mlp.down.weight"),       // [H, I]
        ("layers.{L}.mlp.down_proj.bias", "llm.layers.{L}.mlp.down.bias"),
        ("norm.weight", "llm.norm.weight"),                                          // final RMSNorm [H]
    ], ignored: [
        ("layers.{L}.self_attn.rotary_emb.inv_freq", "rotary frequency buffer saved by old transformers; recomputed from the config"),
    ])

    /// The output head of a `LlamaForCausalLM`, relative to the model's own prefix.
    public static let llamaHead = NameTable("llama-head", [
        ("lm_head.weight", "llm.lm_head.weight"),                                    // [V, H]; absent when tied
    ])

    /// Encoder layers shared by CLIP and SigLIP vision transformers (relative to `vision_model.`).
    static let vitEncoder: [(String, String)] = [
        ("encoder.layers.{L}.layer_norm1.weight", "vision.layers.{L}.norm1.weight"),
        ("encoder.layers.{L}.layer_norm1.bias", "vision.layers.{L}.norm1.bias"),
        ("encoder.layers.{L}.self_attn.q_proj.weight", "vision.layers.{L}.attn.q.weight"),
        ("encoder.layers.{L}.self_attn.q_proj.bias", "vision.layers.{L}.attn.q.bias"),
        ("encoder.layers.{L}.self_attn.k_proj.weight", "vision.layers.{L}.attn.k.weight"),
        ("encoder.layers.{L}.self_attn.k_proj.bias", "vision.layers.{L}.attn.k.bias"),
        ("encoder.layers.{L}.self_attn.v_proj.weight", "vision.layers.{L}.attn.v.weight"),
        ("encoder.layers.{L}.self_attn.v_proj.bias", "vision.layers.{L}.attn.v.bias"),
        ("encoder.layers.{L}.self_attn.out_proj.weight", "vision.layers.{L}.attn.o.weight"),
        ("encoder.layers.{L}.self_attn.out_proj.bias", "vision.layers.{L}.attn.o.bias"),
        ("encoder.layers.{L}.layer_norm2.weight", "vision.layers.{L}.norm2.weight"),
        ("encoder.layers.{L}.layer_norm2.bias", "vision.layers.{L}.norm2.bias"),
        ("encoder.layers.{L}.mlp.fc1.weight", "vision.layers.{L}.mlp.fc1.weight"),
        ("encoder.layers.{L}.mlp.fc1.bias", "vision.layers.{L}.mlp.fc1.bias"),
        ("encoder.layers.{L}.mlp.fc2.weight", "vision.layers.{L}.mlp.fc2.weight"),
        ("encoder.layers.{L}.mlp.fc2.bias", "vision.layers.{L}.mlp.fc2.bias"),
    ]

    static let postLayerNormReason = "VILA and LLaVA take features from hidden_states, which never pass through post_layernorm"

    /// `CLIPVisionModel`, relative to `vision_model.`.
    public static let clipVision = NameTable("clip-vision", [
        ("embeddings.class_embedding", "vision.class_embed"),                        // [D]
        ("embeddings.patch_embedding.weight", "vision.patch_embed.weight"),          // conv [D, C, p, p], no bias
        ("embeddings.position_embedding.weight", "vision.pos_embed"),                // [patches + 1, D]
        ("pre_layrnorm.weight", "vision.pre_norm.weight"),                           // (sic) CLIP's spelling
        ("pre_layrnorm.bias", "vision.pre_norm.bias"),
    ] + vitEncoder, ignored: [
        ("post_layernorm.weight", postLayerNormReason),
        ("post_layernorm.bias", postLayerNormReason),
        ("embeddings.position_ids", "index buffer saved by old transformers; always 0..<positions"),
    ])

    /// `SiglipVisionModel`, relative to `vision_model.`.
    public static let siglipVision = NameTable("siglip-vision", [
        ("embeddings.patch_embedding.weight", "vision.patch_embed.weight"),          // conv [D, C, p, p]
        ("embeddings.patch_embedding.bias", "vision.patch_embed.bias"),              // [D]
        ("embeddings.position_embedding.weight", "vision.pos_embed"),                // [patches, D]
    ] + vitEncoder, ignored: [
        ("post_layernorm.weight", postLayerNormReason),
        ("post_layernorm.bias", postLayerNormReason),
        ("embeddings.position_ids", "index buffer saved by old transformers; always 0..<positions"),
        ("head.*", "SigLIP's attention-pooling head; VILA uses patch features, not the pooled embedding"),
    ])

    /// VILA's `mm_projector/` weights (module `layers`), one table per projector type.
    public static func vilaProjector(_ type: ProjectorType) -> NameTable {
        switch type {
        case .linear:
            return NameTable("vila-projector-linear", [
                ("layers.weight", "projector.linear.weight"),                        // nn.Linear [D, Dv]
                ("layers.bias", "projector.linear.bias"),
            ])
        case .mlp2xGelu:
            return NameTable("vila-projector-mlp2x_gelu", [
                ("layers.0.weight", "projector.fc1.weight"),                         // Linear [D, Dv]
                ("layers.0.bias", "projector.fc1.bias"),
                ("layers.2.weight", "projector.fc2.weight"),                         // layers.1 is GELU; [D, D]
                ("layers.2.bias", "projector.fc2.bias"),
            ])
        case .mlpDownsample:
            return NameTable("vila-projector-mlp_downsample", [
                ("layers.1.weight", "projector.norm.weight"),                        // layers.0 is DownSampleBlock; LayerNorm [4Dv]
                ("layers.1.bias", "projector.norm.bias"),
                ("layers.2.weight", "projector.fc1.weight"),                         // Linear [D, 4Dv]
                ("layers.2.bias", "projector.fc1.bias"),
                ("layers.4.weight", "projector.fc2.weight"),                         // layers.3 is GELU; [D, D]
                ("layers.4.bias", "projector.fc2.bias"),
            ])
        }
    }

    /// LLaVA-HF's `multi_modal_projector` (`LlavaMultiModalProjector`).
    public static let llavaProjector = NameTable("llava-projector", [
        ("linear_1.weight", "projector.fc1.weight"),                                 // [D, Dv]
        ("linear_1.bias", "projector.fc1.bias"),
        ("linear_2.weight", "projector.fc2.weight"),                                 // [D, D]
        ("linear_2.bias", "projector.fc2.bias"),
    ])
}
