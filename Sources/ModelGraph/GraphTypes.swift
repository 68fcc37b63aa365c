/// A Linear layer (`y = x·Wᵀ + b`) or a norm's scale and shift.
public struct Affine: Sendable {
    public let weight: TensorRef
    public let bias: TensorRef?

    public init(weight: TensorRef, bias: TensorRef?) {
        self.weight = weight
        self.bias = bias
    }
}

/// One pre-norm ViT encoder layer (CLIP and SigLIP share it).
public struct VisionLayer: Sendable {
    public let norm1: Affine
    public let q: Affine, k: Affine, v: Affine, o: Affine
    public let norm2: Affine
    public let fc1: Affine, fc2: Affine
}

/// The vision transformer: patch embedding, positions, optional class token and pre-norm,
/// encoder layers. Post-norm and pooling heads are not part of it (VILA never uses them).
public struct VisionTower: Sendable {
    public let config: VisionConfig
    /// Conv weight [D, C, p, p] (bias only for SigLIP).
    public let patchEmbed: Affine
    /// [D], CLIP only.
    public let classEmbed: TensorRef?
    /// [positions, D].
    public let positionEmbed: TensorRef
    /// CLIP's `pre_layrnorm`.
    public let preNorm: Affine?
    public let layers: [VisionLayer]
}

/// The multimodal projector, by type.
public enum ProjectorWeights: Sendable {
    case linear(Affine)
    case mlp2xGelu(fc1: Affine, fc2: Affine)
    case mlpDownsample(norm: Affine, fc1: Affine, fc2: Affine)
}

public struct Projector: Sendable {
    public let config: ProjectorConfig
    public let weights: ProjectorWeights
}

/// One Llama decoder layer.
public struct DecoderLayer: Sendable {
    public let attnNorm: TensorRef
    public let q: Affine, k: Affine, v: Affine, o: Affine
    public let mlpNorm: TensorRef
    public let gate: Affine, up: Affine, down: Affine
}

/// The Llama language model. `lmHead` is nil when the embeddings are tied.
public struct LanguageModel: Sendable {
    public let config: LlamaConfig
    public let embedTokens: TensorRef
    public let layers: [DecoderLayer]
    public let norm: TensorRef
    public let lmHead: TensorRef?

    /// The output projection: `lm_head`, or the embedding matrix when tied.
    public var outputWeight: TensorRef { lmHead ?? embedTokens }
}

/// A whole vision-language model: ViT → projector → Llama, every slot filled from the checkpoint.
public struct VLMGraph: Sendable {
    public let path: String
    public let config: VLMConfig
    public let vision: VisionTower
    public let projector: Projector
    public let llm: LanguageModel
    /// Every tensor the graph holds, in graph order.
    public let tensors: [TensorRef]
    /// Checkpoint tensors known to be unused, with reasons.
    public let ignored: [IgnoredTensor]
}
