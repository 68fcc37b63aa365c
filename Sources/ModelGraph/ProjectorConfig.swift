/// The multimodal projector types VLMKit maps (NVlabs VILA's `mm_projector_type` names).
public enum ProjectorType: String, Sendable, Encodable, CaseIterable {
    /// One Linear(Dv → D).
    case linear
    /// Linear(Dv → D), GELU (exact erf), Linear(D → D). LLaVA-HF's `multi_modal_projector`.
    case mlp2xGelu = "mlp2x_gelu"
    /// VILA 1.5 / NVILA: 2×2 token merge, LayerNorm(4·Dv), Linear(4·Dv → D), GELU, Linear(D → D).
    case mlpDownsample = "mlp_downsample"
    /// LongVILA's name for the same computation as `mlp_downsample` (`DownSample2x2BlockFix`).
    case mlpDownsample2x2Fix = "mlp_downsample_2x2_fix"
    /// NVILA-Lite: 3×3 merge (zero padding to a multiple of 3), LayerNorm(9·Dv),
    /// Linear(9·Dv → 3·Dv), GELU, LayerNorm(3·Dv), Linear(3·Dv → D), GELU, Linear(D → D).
    case mlpDownsample3x3Fix = "mlp_downsample_3x3_fix"

    /// Side of the square of neighbouring tokens merged into one, or nil for projectors that
    /// keep every token.
    public var mergeFactor: Int? {
        switch self {
        case .linear, .mlp2xGelu: return nil
        case .mlpDownsample, .mlpDownsample2x2Fix: return 2
        case .mlpDownsample3x3Fix: return 3
        }
    }
}

/// In which order a merging projector emits its merged tokens. NVlabs VILA's
/// `DownSampleBlock.flat_square` gained a final `permute(0, 2, 1, 3)` in the NVILA release
/// (commit 36f6adc); the config names the projector `mlp_downsample` either way.
public enum TokenMergeOrder: String, Sendable, Encodable, CaseIterable {
    /// Before 36f6adc (VILA 1.5, LongVILA): merged token (a, b) — block row a, block column b —
    /// comes out at index b·rows + a, i.e. the block grid transposed (column-pair-major).
    case vila15 = "vila1.5"
    /// 36f6adc and later (NVILA): merged tokens in row-major order, index a·columns + b.
    case nvila

    public var summary: String {
        switch self {
        case .vila15: return "column-major (VILA 1.5 flat_square)"
        case .nvila: return "row-major (NVILA flat_square)"
        }
    }
}

/// How image features are chosen from the vision tower's hidden states (VILA and LLaVA agree).
public enum FeatureSelection: String, Sendable, Encodable {
    /// Drop the first token (the class token for CLIP).
    case patch
    /// Keep every token.
    case clsPatch = "cls_patch"
}

/// Projector configuration and the feature selection that feeds it.
public struct ProjectorConfig: Equatable, Sendable, Encodable {
    public var type: ProjectorType
    /// Width of one vision feature as the projector sees it (`mm_hidden_size`).
    public var visionHiddenSize: Int
    /// Width of the language model's embeddings.
    public var textHiddenSize: Int
    /// Whether the projector's Linear layers carry biases.
    public var hasBias: Bool
    /// Token order of a merging projector (unused by the others).
    public var mergeOrder: TokenMergeOrder
    /// Why `mergeOrder` was chosen: the config field that decided it, or the override.
    public var mergeOrderReason: String

    /// Input width of the first Linear.
    public var inputSize: Int { (type.mergeFactor ?? 1) * (type.mergeFactor ?? 1) * visionHiddenSize }

    public init(type: ProjectorType, visionHiddenSize: Int, textHiddenSize: Int, hasBias: Bool = true,
                mergeOrder: TokenMergeOrder = .vila15, mergeOrderReason: String = "default") {
        self.type = type
        self.visionHiddenSize = visionHiddenSize
        self.textHiddenSize = textHiddenSize
        self.hasBias = hasBias
        self.mergeOrder = mergeOrder
        self.mergeOrderReason = mergeOrderReason
    }

    /// Reads VILA's `mm_projector_type` spelling; errors list the supported types.
    public static func parseType(_ name: String, file: String, key: String) throws -> ProjectorType {
        guard let t = ProjectorType(rawValue: name) else {
            throw ConfigError.unsupported(file: file, detail: "\(key) \"\(name)\" is not supported (supported: \(ProjectorType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return t
    }

    /// Image tokens the projector yields for `featureTokens` selected vision tokens, or a
    /// message saying why this projector cannot take that many.
    public func outputTokens(featureTokens p: Int) -> Result<Int, ProjectorShapeError> {
        guard let k = type.mergeFactor else { return .success(p) }
        let s = Int(Double(p).squareRoot().rounded())
        guard s * s == p else { return .failure(ProjectorShapeError(type: type, tokens: p)) }
        let side = (s + k - 1) / k
        return .success(side * side)
    }
}

/// A merging projector needs a square grid of feature tokens.
public struct ProjectorShapeError: Error, CustomStringConvertible, Equatable {
    public let type: ProjectorType
    public let tokens: Int
    public var description: String {
        "\(type.rawValue) needs a square grid of feature tokens, but the vision tower yields \(tokens) (check mm_vision_select_feature: \"patch\" drops the first token)"
    }
}
