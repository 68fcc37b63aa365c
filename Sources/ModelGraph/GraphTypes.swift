/// A Linear layer (`y = x·Wᵀ + b`) or a norm's scale and shift, as checkpoint tensors.
public struct Affine: Sendable {
    public let weight: TensorRef
    public let bias: TensorRef?

    public init(weight: TensorRef, bias: TensorRef?) {
        self.weight = weight
        self.bias = bias
    }
}

/// The graph's typed layers: the families' generic layer structs holding checkpoint tensors.
public typealias VisionLayer = ViTLayerWeights<Affine, Affine, TensorRef>
public typealias VisionTower = ViTWeights<Affine, Affine, TensorRef>
public typealias DecoderLayer = LlamaLayerWeights<Affine, TensorRef>
public typealias LanguageModel = LlamaWeights<Affine, TensorRef>

extension LlamaWeights where Linear == Affine, Vector == TensorRef {
    /// The output projection: `lm_head`, or the embedding matrix when tied.
    public var outputWeight: TensorRef { (lmHead ?? embedTokens).weight }
}

/// A whole vision-language model: ViT → projector → Llama, every slot filled from the checkpoint.
public struct VLMGraph: Sendable {
    public let path: String
    public let config: VLMConfig
    /// The families the graph was bound with.
    public let description: ModelDescription
    public let vision: VisionTower
    public let projector: [BoundProjectorStep<Affine, Affine>]
    public let llm: LanguageModel
    /// Every tensor the graph holds, in graph order.
    public let tensors: [TensorRef]
    /// The quantizable Linear layers (slot prefix, weight), in graph order.
    public let linears: [(prefix: String, ref: TensorRef)]
    /// Checkpoint tensors known to be unused, with reasons.
    public let ignored: [IgnoredTensor]
}

/// Slots bound from a checkpoint, looked up by the families' `bind` functions.
struct BoundSlots: SlotLookup {
    let bySlot: [String: TensorRef]

    func tensor(slot: String) throws -> TensorRef {
        guard let t = bySlot[slot] else { throw CoverageError(missing: ["(internal) slot \(slot) was not bound"]) }
        return t
    }
    func affine(prefix: String) throws -> Affine {
        Affine(weight: try tensor(slot: prefix + ".weight"), bias: bySlot[prefix + ".bias"])
    }
    func linear(prefix: String) throws -> Affine { try affine(prefix: prefix) }
}
