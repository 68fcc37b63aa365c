/// Which ViT family a vision tower belongs to.
public enum VisionTowerKind: String, Sendable, Encodable, CaseIterable {
    /// Hugging Face `CLIPVisionModel`: class token, pre-norm, patch conv without bias, quick_gelu.
    case clip
    /// Hugging Face `SiglipVisionModel`: no class token, no pre-norm, patch conv with bias, tanh gelu.
    case siglip
    /// InternViT (`InternVisionModel`, model_type `intern_vit_6b`; VILA1.5-40B's tower, NVlabs/VILA
    /// llava/model/multimodal_encoder/intern/modeling_intern_vit.py): class token, RMSNorm, fused qkv,
    /// q/k RMSNorm over the whole width, per-channel layer scale, exact gelu, no pre- or post-norm.
    case intern
}

/// A ViT vision tower configuration (`CLIPVisionConfig` or `SiglipVisionConfig`). Missing keys
/// take transformers' defaults for that class.
public struct VisionConfig: Equatable, Sendable, Encodable {
    public var kind: VisionTowerKind
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numChannels: Int
    public var imageSize: Int
    public var patchSize: Int
    public var layerNormEps: Double
    public var hiddenAct: String
    /// InternViT: whether the fused qkv Linear has a bias (`qkv_bias`, default false).
    public var qkvBias: Bool = false
    /// InternViT: RMSNorm on q and k over the whole width (`qk_normalization`, default true).
    public var qkNormalization: Bool = false

    /// Patches along one side of the image.
    public var gridSize: Int { imageSize / patchSize }
    public var numPatches: Int { gridSize * gridSize }
    /// Tokens leaving the embedding: patches, plus the class token for CLIP and InternViT.
    public var numPositions: Int { numPatches + (hasClassToken ? 1 : 0) }
    public var hasClassToken: Bool { kind != .siglip }
    public var headDim: Int { hiddenSize / numHeads }

    /// Activations the runner implements for vision MLPs.
    public static let supportedActivations = ["quick_gelu", "gelu", "gelu_pytorch_tanh", "gelu_new"]

    public init(_ c: ConfigObject) throws {
        // A full CLIPConfig / SiglipConfig nests the vision part under "vision_config".
        let type = try c.string("model_type")
        if let type, type == "clip" || type == "siglip", let nested = try c.object("vision_config") {
            try self.init(nested, kindHint: type == "clip" ? .clip : .siglip)
            return
        }
        let kind: VisionTowerKind
        switch type {
        case "clip_vision_model": kind = .clip
        case "siglip_vision_model": kind = .siglip
        case "intern_vit_6b": kind = .intern
        case nil:
            throw ConfigError.missingKey(file: c.file, key: c.path("model_type"))
        default:
            throw ConfigError.unsupported(file: c.file, detail: "vision tower \(c.path("model_type")) \"\(type!)\" is not supported (supported: clip_vision_model, siglip_vision_model, intern_vit_6b)")
        }
        try self.init(c, kindHint: kind)
    }

    init(_ c: ConfigObject, kindHint kind: VisionTowerKind) throws {
        self.kind = kind
        // InternVisionConfig's defaults are InternViT-6B's.
        let intern = kind == .intern
        hiddenSize = try c.positiveInt("hidden_size", default: intern ? 3200 : 768)
        intermediateSize = try c.positiveInt("intermediate_size", default: intern ? 12800 : 3072)
        numLayers = try c.positiveInt("num_hidden_layers", default: intern ? 48 : 12)
        numHeads = try c.positiveInt("num_attention_heads", default: intern ? 25 : 12)
        guard hiddenSize % numHeads == 0 else {
            throw ConfigError.invalidValue(file: c.file, key: c.path("num_attention_heads"),
                                           detail: "(\(numHeads)) must divide hidden_size (\(hiddenSize))")
        }
        numChannels = try c.positiveInt("num_channels", default: 3)
        imageSize = try c.positiveInt("image_size", default: 224)
        patchSize = try c.positiveInt("patch_size", default: kind == .clip ? 32 : intern ? 14 : 16)
        guard patchSize <= imageSize else {
            throw ConfigError.invalidValue(file: c.file, key: c.path("patch_size"),
                                           detail: "(\(patchSize)) must not exceed image_size (\(imageSize))")
        }
        layerNormEps = try c.positiveDouble("layer_norm_eps", default: kind == .clip ? 1e-5 : 1e-6)
        hiddenAct = try c.string("hidden_act") ?? (kind == .clip ? "quick_gelu" : intern ? "gelu" : "gelu_pytorch_tanh")
        if intern {
            // InternVL's later towers (InternViT-300M) say norm_type "layer_norm"; VILA's module has RMSNorm only.
            if let norm = try c.string("norm_type"), norm != "rms_norm" {
                throw ConfigError.unsupported(file: c.file, detail: "\(c.path("norm_type")) \"\(norm)\" is not supported: VILA's InternViT (modeling_intern_vit.py) normalizes with RMSNorm only")
            }
            qkvBias = try c.bool("qkv_bias", default: false)
            qkNormalization = try c.bool("qk_normalization", default: true)
        }
        guard Self.supportedActivations.contains(hiddenAct) else {
            throw ConfigError.unsupported(file: c.file, detail: "\(c.path("hidden_act")) \"\(hiddenAct)\" is not supported (supported: \(Self.supportedActivations.joined(separator: ", ")))")
        }
    }
}
