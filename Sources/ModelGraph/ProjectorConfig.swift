/// The multimodal projector types VLMKit maps (VILA 1.5's names).
public enum ProjectorType: String, Sendable, Encodable, CaseIterable {
    /// One Linear(Dv → D).
    case linear
    /// Linear(Dv → D), GELU (exact erf), Linear(D → D). LLaVA-HF's `multi_modal_projector`.
    case mlp2xGelu = "mlp2x_gelu"
    /// VILA 1.5: 2×2 token merge, LayerNorm(4·Dv), Linear(4·Dv → D), GELU, Linear(D → D).
    case mlpDownsample = "mlp_downsample"
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
    /// Width of one vision feature (the vision tower's hidden size).
    public var visionHiddenSize: Int
    /// Width of the language model's embeddings.
    public var textHiddenSize: Int
    /// Whether the projector's Linear layers carry biases.
    public var hasBias: Bool

    /// Input width of the first Linear.
    public var inputSize: Int { type == .mlpDownsample ? 4 * visionHiddenSize : visionHiddenSize }

    public init(type: ProjectorType, visionHiddenSize: Int, textHiddenSize: Int, hasBias: Bool = true) {
        self.type = type
        self.visionHiddenSize = visionHiddenSize
        self.textHiddenSize = textHiddenSize
        self.hasBias = hasBias
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
        switch type {
        case .linear, .mlp2xGelu:
            return .success(p)
        case .mlpDownsample:
            let s = Int(Double(p).squareRoot().rounded())
            guard s * s == p else { return .failure(ProjectorShapeError(tokens: p)) }
            let half = (s + 1) / 2
            return .success(half * half)
        }
    }
}

/// mlp_downsample needs a square grid of feature tokens.
public struct ProjectorShapeError: Error, CustomStringConvertible, Equatable {
    public let tokens: Int
    public var description: String {
        "mlp_downsample needs a square grid of feature tokens, but the vision tower yields \(tokens) (check mm_vision_select_feature: \"patch\" drops the first token)"
    }
}
