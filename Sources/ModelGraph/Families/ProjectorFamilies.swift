/// What a projector computes, step by step; the runtime executes these steps in order, so a
/// projector variant made of known steps needs no new runner code.
public enum ProjectorStep: Sendable {
    /// VILA's `DownSampleBlock` family: k×k neighbouring tokens concatenated (grids zero-padded
    /// bottom/right to a multiple of k), width ×k²; the token order is the config's `mergeOrder`.
    case merge(factor: Int)
    /// LayerNorm over the current width.
    case layerNorm(ModuleDecl, eps: Float)
    case linear(ModuleDecl)
    case activation(ProjectorActivation)
}

public enum ProjectorActivation: String, Sendable {
    /// GELU with the exact erf (PyTorch's default `nn.GELU()`).
    case geluErf = "gelu"
    case relu
}

/// A projector family: its modules (as a family description) and its steps.
public struct ProjectorFamily: Sendable {
    public let description: FamilyDescription
    public let steps: [ProjectorStep]

    /// A one-part family from its steps: the modules are the steps' modules, in step order.
    public init(_ name: String, steps: [ProjectorStep]) {
        self.steps = steps
        let modules = steps.compactMap { step -> ModuleDecl? in
            switch step {
            case .linear(let m), .layerNorm(let m, _): return m
            case .merge, .activation: return nil
            }
        }
        description = FamilyDescription(name, label: "projector", layers: { _ in 0 }, parts: [FamilyPart(name, role: .projector, modules)])
    }

    /// The steps with their modules bound through `s`.
    public func bind<S: SlotLookup>(_ s: S) throws -> [BoundProjectorStep<S.LinearValue, S.AffineValue>] {
        try steps.map { step in
            switch step {
            case .merge(let k): return .merge(factor: k)
            case let .layerNorm(m, eps): return .layerNorm(try s.affine(m, nil), eps: eps)
            case .linear(let m): return .linear(try s.linear(m, nil))
            case .activation(let a): return .activation(a)
            }
        }
    }
}

/// A projector step with its weights.
public enum BoundProjectorStep<Linear, Affine> {
    case merge(factor: Int)
    case layerNorm(Affine, eps: Float)
    case linear(Linear)
    case activation(ProjectorActivation)
}

extension BoundProjectorStep: Sendable where Linear: Sendable, Affine: Sendable {}

/// The projectors VILA 1.5 saves in `mm_projector/` (module `layers`) and LLaVA-HF's
/// `multi_modal_projector` (`LlavaMultiModalProjector`, the same computation as mlp2x_gelu).
public enum ProjectorFamilies {
    static func d(_ c: VLMConfig) -> Int { c.projector.textHiddenSize }
    static let hasBias: @Sendable (VLMConfig) -> Bool = { $0.projector.hasBias }

    public static let linear = ProjectorFamily("projector-linear", steps: [
        .linear(.linear("projector.linear", "layers", bias: hasBias) { [d($0), $0.projector.inputSize] }),
    ])

    public static let mlp2xGelu = ProjectorFamily("projector-mlp2x_gelu", steps: [
        .linear(.linear("projector.fc1", [.vila: "layers.0", .llavaHF: "linear_1"], gguf: "mm.0", bias: hasBias) {
            [d($0), $0.projector.inputSize]
        }),
        .activation(.geluErf),                                   // VILA's layers.1
        .linear(.linear("projector.fc2", [.vila: "layers.2", .llavaHF: "linear_2"], gguf: "mm.2", bias: hasBias) { [d($0), d($0)] }),
    ])

    /// `mlp_downsample` and `mlp_downsample_2x2_fix` (the same modules and computation). GGUF
    /// names: llama.cpp's `lfm2` projector (pixel unshuffle, `mm.input_norm`, `mm.1`, GELU, `mm.2`).
    public static let mlpDownsample = ProjectorFamily("projector-mlp_downsample", steps: [
        .merge(factor: 2),                                       // layers.0 is DownSampleBlock
        .layerNorm(.layerNorm("projector.norm", "layers.1", gguf: "mm.input_norm") { $0.projector.inputSize }, eps: 1e-5),  // PyTorch's default eps
        .linear(.linear("projector.fc1", "layers.2", gguf: "mm.1", bias: hasBias) { [d($0), $0.projector.inputSize] }),
        .activation(.geluErf),                                   // layers.3
        .linear(.linear("projector.fc2", "layers.4", gguf: "mm.2", bias: hasBias) { [d($0), d($0)] }),
    ])

    /// NVILA-Lite's `mlp_downsample_3x3_fix` (base_projector.py, NVlabs/VILA 36f6adc).
    public static let mlpDownsample3x3Fix = ProjectorFamily("projector-mlp_downsample_3x3_fix", steps: [
        .merge(factor: 3),                                       // layers.0 is DownSample3x3BlockFix
        .layerNorm(.layerNorm("projector.norm1", "layers.1") { $0.projector.inputSize }, eps: 1e-5),
        .linear(.linear("projector.fc1", "layers.2", bias: hasBias) { [3 * $0.projector.visionHiddenSize, $0.projector.inputSize] }),
        .activation(.geluErf),                                   // layers.3
        .layerNorm(.layerNorm("projector.norm2", "layers.4") { 3 * $0.projector.visionHiddenSize }, eps: 1e-5),
        .linear(.linear("projector.fc2", "layers.5", bias: hasBias) { [d($0), 3 * $0.projector.visionHiddenSize] }),
        .activation(.geluErf),                                   // layers.6
        .linear(.linear("projector.fc3", "layers.7", bias: hasBias) { [d($0), d($0)] }),
    ])

    public static func family(_ type: ProjectorType) -> ProjectorFamily {
        switch type {
        case .linear: return linear
        case .mlp2xGelu: return mlp2xGelu
        case .mlpDownsample, .mlpDownsample2x2Fix: return mlpDownsample
        case .mlpDownsample3x3Fix: return mlpDownsample3x3Fix
        }
    }
}
