/// InternViT (`InternVisionModel`, VILA1.5-40B's InternViT-6B), names as its state dict spells them
/// (NVlabs/VILA llava/model/multimodal_encoder/intern/modeling_intern_vit.py @ 36f6adc; the same
/// module in VILA 1.5's 1c88211): `embeddings.{class_embedding [1,1,D], patch_embedding (conv with
/// bias), position_embedding [1, P+1, D]}` and per layer `norm1`/`norm2` (RMSNorm), `attn.qkv`
/// ([3D, D], bias only with `qkv_bias`), `attn.q_norm`/`attn.k_norm` (RMSNorm [D], with
/// `qk_normalization`), `attn.proj`, `mlp.fc1`/`mlp.fc2`, `ls1`/`ls2` ([D]). No pre- or post-norm.
public enum InternViTFamily {
    static func d(_ c: VLMConfig) -> Int { c.vision.hiddenSize }
    static let always: @Sendable (VLMConfig) -> Bool = { _ in true }
    static let qkNorm: @Sendable (VLMConfig) -> Bool = { $0.vision.qkNormalization }
    static let qkNormReason = "q_norm / k_norm are used only with qk_normalization"

    public static let patch = ModuleDecl(.conv, slot: "vision.patch_embed", names: "embeddings.patch_embedding", bias: always) {
        [d($0), $0.vision.numChannels, $0.vision.patchSize, $0.vision.patchSize]
    }
    public static let classEmbed = ModuleDecl(.tensor, slot: "vision.class_embed", names: "embeddings.class_embedding") { [1, 1, d($0)] }
    public static let positionEmbed = ModuleDecl(.tensor, slot: "vision.pos_embed", names: "embeddings.position_embedding") {
        [1, $0.vision.numPositions, d($0)]
    }
    public static let norm1 = ModuleDecl.rmsNorm("vision.layers.{L}.norm1", "encoder.layers.{L}.norm1", width: d)
    public static let qkv = ModuleDecl.linear("vision.layers.{L}.attn.qkv", "encoder.layers.{L}.attn.qkv",
                                              bias: { $0.vision.qkvBias }) { [3 * d($0), d($0)] }
    public static let qNorm = ModuleDecl(.rmsNorm, slot: "vision.layers.{L}.attn.q_norm", names: "encoder.layers.{L}.attn.q_norm",
                                         present: qkNorm, absentReason: qkNormReason) { [d($0)] }
    public static let kNorm = ModuleDecl(.rmsNorm, slot: "vision.layers.{L}.attn.k_norm", names: "encoder.layers.{L}.attn.k_norm",
                                         present: qkNorm, absentReason: qkNormReason) { [d($0)] }
    public static let proj = ModuleDecl.linear("vision.layers.{L}.attn.o", "encoder.layers.{L}.attn.proj", bias: always) { [d($0), d($0)] }
    public static let norm2 = ModuleDecl.rmsNorm("vision.layers.{L}.norm2", "encoder.layers.{L}.norm2", width: d)
    public static let fc1 = ModuleDecl.linear("vision.layers.{L}.mlp.fc1", "encoder.layers.{L}.mlp.fc1", bias: always) {
        [$0.vision.intermediateSize, d($0)]
    }
    public static let fc2 = ModuleDecl.linear("vision.layers.{L}.mlp.fc2", "encoder.layers.{L}.mlp.fc2", bias: always) {
        [d($0), $0.vision.intermediateSize]
    }
    public static let ls1 = ModuleDecl(.tensor, slot: "vision.layers.{L}.ls1", names: "encoder.layers.{L}.ls1") { [d($0)] }
    public static let ls2 = ModuleDecl(.tensor, slot: "vision.layers.{L}.ls2", names: "encoder.layers.{L}.ls2") { [d($0)] }

    public static let description = FamilyDescription("intern-vit", label: "vision tower", layers: { $0.vision.numLayers }, parts: [
        FamilyPart("intern-vision", role: .vision, [patch, classEmbed, positionEmbed, norm1, qkv, qNorm, kNorm, proj, norm2, fc1, fc2, ls1, ls2]),
    ])

    static func bind<S: SlotLookup>(_ s: S, layers: Int, config: VLMConfig) throws -> ViTWeights<S.LinearValue, S.AffineValue, S.TensorValue> {
        let normed = config.vision.qkNormalization
        return ViTWeights(
            patchEmbed: try s.affine(patch, nil),
            classEmbed: try s.values(classEmbed, nil),
            positionEmbed: try s.values(positionEmbed, nil),
            preNorm: nil,
            layers: try (0..<layers).map { l in
                ViTLayerWeights(norm1: try s.affine(norm1, l), attention: .fused(try s.linear(qkv, l)),
                                qNorm: normed ? try s.affine(qNorm, l) : nil, kNorm: normed ? try s.affine(kNorm, l) : nil,
                                o: try s.linear(proj, l), norm2: try s.affine(norm2, l),
                                fc1: try s.linear(fc1, l), fc2: try s.linear(fc2, l),
                                scale1: try s.values(ls1, l), scale2: try s.values(ls2, l))
            })
    }
}
