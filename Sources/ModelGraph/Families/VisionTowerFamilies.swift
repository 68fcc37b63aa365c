/// One pre-norm ViT encoder layer. CLIP and SigLIP: LayerNorms, separate q/k/v. InternViT:
/// RMSNorms, one fused qkv Linear, q/k norms over the whole width, layer scales.
public struct ViTLayerWeights<Linear, Affine, Vector> {
    public let norm1: Affine
    /// q, k and v: three Linears (CLIP, SigLIP) or one fused [3D, D] Linear (InternViT).
    public let attention: ViTAttentionInput<Linear>
    /// InternViT's q_norm / k_norm (RMSNorm over all heads together), when `qk_normalization`.
    public let qNorm: Affine?, kNorm: Affine?
    public let o: Linear
    public let norm2: Affine
    public let fc1: Linear, fc2: Linear
    /// InternViT's per-channel layer scales `ls1` / `ls2` [D].
    public let scale1: Vector?, scale2: Vector?
}

public enum ViTAttentionInput<Linear> {
    case separate(q: Linear, k: Linear, v: Linear)
    case fused(Linear)
}

extension ViTAttentionInput: Sendable where Linear: Sendable {}

/// The vision transformer: patch embedding, positions, optional class token and pre-norm,
/// encoder layers. Post-norm and pooling heads are not part of it (VILA never uses them).
public struct ViTWeights<Linear, Affine, Tensor> {
    /// Conv weight [D, C, p, p] (bias only for SigLIP).
    public let patchEmbed: Affine
    /// [D], CLIP only.
    public let classEmbed: Tensor?
    /// [positions, D].
    public let positionEmbed: Tensor
    /// CLIP's `pre_layrnorm`.
    public let preNorm: Affine?
    public let layers: [ViTLayerWeights<Linear, Affine, Tensor>]
}

extension ViTLayerWeights: Sendable where Linear: Sendable, Affine: Sendable, Vector: Sendable {}
extension ViTWeights: Sendable where Linear: Sendable, Affine: Sendable, Tensor: Sendable {}

/// `CLIPVisionModel` and `SiglipVisionModel`, names relative to `vision_model.`. GGUF names are
/// llama.cpp's mmproj names (gguf-py `MODEL_TENSOR.V_*`).
public enum VisionTowerFamilies {
    static func d(_ c: VLMConfig) -> Int { c.vision.hiddenSize }
    static let always: @Sendable (VLMConfig) -> Bool = { _ in true }
    static func square(_ c: VLMConfig) -> [Int] { [d(c), d(c)] }

    public static let clipPatch = ModuleDecl(.conv, slot: "vision.patch_embed", names: "embeddings.patch_embedding", gguf: "v.patch_embd") {
        [d($0), $0.vision.numChannels, $0.vision.patchSize, $0.vision.patchSize]
    }
    public static let siglipPatch = ModuleDecl(.conv, slot: "vision.patch_embed", names: "embeddings.patch_embedding", gguf: "v.patch_embd",
                                               bias: always) {
        [d($0), $0.vision.numChannels, $0.vision.patchSize, $0.vision.patchSize]
    }
    public static let classEmbed = ModuleDecl(.tensor, slot: "vision.class_embed", names: "embeddings.class_embedding",
                                              gguf: "v.class_embd") { [d($0)] }
    public static let positionEmbed = ModuleDecl(.tensor, slot: "vision.pos_embed", names: "embeddings.position_embedding.weight",
                                                 gguf: "v.position_embd.weight") { [$0.vision.numPositions, d($0)] }
    /// (sic) CLIP's spelling.
    public static let preNorm = ModuleDecl.layerNorm("vision.pre_norm", "pre_layrnorm", gguf: "v.pre_ln", width: d)

    public static let norm1 = ModuleDecl.layerNorm("vision.layers.{L}.norm1", "encoder.layers.{L}.layer_norm1", gguf: "v.blk.{L}.ln1", width: d)
    public static let q = ModuleDecl.linear("vision.layers.{L}.attn.q", "encoder.layers.{L}.self_attn.q_proj", gguf: "v.blk.{L}.attn_q",
                                            bias: always, shape: square)
    public static let k = ModuleDecl.linear("vision.layers.{L}.attn.k", "encoder.layers.{L}.self_attn.k_proj", gguf: "v.blk.{L}.attn_k",
                                            bias: always, shape: square)
    public static let v = ModuleDecl.linear("vision.layers.{L}.attn.v", "encoder.layers.{L}.self_attn.v_proj", gguf: "v.blk.{L}.attn_v",
                                            bias: always, shape: square)
    public static let o = ModuleDecl.linear("vision.layers.{L}.attn.o", "encoder.layers.{L}.self_attn.out_proj", gguf: "v.blk.{L}.attn_out",
                                            bias: always, shape: square)
    public static let norm2 = ModuleDecl.layerNorm("vision.layers.{L}.norm2", "encoder.layers.{L}.layer_norm2", gguf: "v.blk.{L}.ln2", width: d)
    public static let fc1 = ModuleDecl.linear("vision.layers.{L}.mlp.fc1", "encoder.layers.{L}.mlp.fc1", gguf: "v.blk.{L}.ffn_up",
                                              bias: always) { [$0.vision.intermediateSize, d($0)] }
    public static let fc2 = ModuleDecl.linear("vision.layers.{L}.mlp.fc2", "encoder.layers.{L}.mlp.fc2", gguf: "v.blk.{L}.ffn_down",
                                              bias: always) { [d($0), $0.vision.intermediateSize] }
    static let encoder = [norm1, q, k, v, o, norm2, fc1, fc2]

    static let postLayerNormReason = "VILA and LLaVA take features from hidden_states, which never pass through post_layernorm"
    static let positionIDsReason = "index buffer saved by old transformers; always 0..<positions"

    public static let clip = FamilyDescription("clip", label: "vision tower", layers: { $0.vision.numLayers }, parts: [
        FamilyPart("clip-vision", role: .vision, [clipPatch, classEmbed, positionEmbed, preNorm] + encoder, ignored: [
            ("post_layernorm.weight", postLayerNormReason),
            ("post_layernorm.bias", postLayerNormReason),
            ("embeddings.position_ids", positionIDsReason),
        ]),
    ])

    public static let siglip = FamilyDescription("siglip", label: "vision tower", layers: { $0.vision.numLayers }, parts: [
        FamilyPart("siglip-vision", role: .vision, [siglipPatch, positionEmbed] + encoder, ignored: [
            ("post_layernorm.weight", postLayerNormReason),
            ("post_layernorm.bias", postLayerNormReason),
            ("embeddings.position_ids", positionIDsReason),
            ("head.*", "SigLIP's attention-pooling head; VILA uses patch features, not the pooled embedding"),
        ]),
    ])

    public static func description(_ kind: VisionTowerKind) -> FamilyDescription {
        switch kind {
        case .clip: return clip
        case .siglip: return siglip
        case .intern: return InternViTFamily.description
        }
    }

    /// The first `layers` encoder layers and the embeddings of a tower of `kind`, bound through `s`.
    public static func bind<S: SlotLookup>(_ s: S, kind: VisionTowerKind, layers: Int, config: VLMConfig) throws
        -> ViTWeights<S.LinearValue, S.AffineValue, S.TensorValue> {
        if kind == .intern { return try InternViTFamily.bind(s, layers: layers, config: config) }
        let clip = kind == .clip
        return ViTWeights(
            patchEmbed: try s.affine(clip ? clipPatch : siglipPatch, nil),
            classEmbed: clip ? try s.values(classEmbed, nil) : nil,
            positionEmbed: try s.values(positionEmbed, nil),
            preNorm: clip ? try s.affine(preNorm, nil) : nil,
            layers: try (0..<layers).map { l in
                ViTLayerWeights(norm1: try s.affine(norm1, l),
                                attention: .separate(q: try s.linear(q, l), k: try s.linear(k, l), v: try s.linear(v, l)),
                                qNorm: nil, kNorm: nil, o: try s.linear(o, l), norm2: try s.affine(norm2, l),
                                fc1: try s.linear(fc1, l), fc2: try s.linear(fc2, l), scale1: nil, scale2: nil)
            })
    }
}
