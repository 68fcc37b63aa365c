import ModelGraph
import TensorCore

/// What comes before the language model's layers: images through the vision tower and the
/// projector, token ids through the embedding table, spliced into one sequence of embeddings.
/// `VLMRunner` uses one; AWQ builds one alone, so calibration embeddings need no decoder layer.
// Unchecked Sendable: immutable after init; the runners and operator are read-only.
public final class PromptEmbedder: @unchecked Sendable {
    public let config: VLMConfig
    public let vision: VisionEncoder
    public let projector: ProjectorRunner
    /// The embedding table [vocab, hidden] (its rows are read in place).
    public let embedding: any LinearOperator

    public init(config: VLMConfig, vision: VisionEncoder, projector: ProjectorRunner, embedding: any LinearOperator) {
        self.config = config
        self.vision = vision
        self.projector = projector
        self.embedding = embedding
    }

    /// The tower, projector and embedding table of a weight source, without the decoder.
    public convenience init(weights: any WeightSource) throws {
        let embed = LlamaDecoderFamily.embed
        self.init(config: weights.config, vision: try VisionEncoder(weights), projector: try ProjectorRunner(weights),
                  embedding: try weights.linear(embed.slotPrefix()))
    }

    /// The embedding row of one token id, checked against the vocabulary.
    public func embedding(of token: Int) throws -> [Float] {
        try embedding.embeddingRows(CollectionOfOne(token))
    }

    /// Prompt embeddings [L, H] with each image marker replaced by that image's projected tokens,
    /// plus the per-image vision features and projector outputs. Inputs must be validated.
    public func spliceEmbeddings(_ inputs: RunInputs) throws -> (embeddings: [Float], features: [[Float]], projected: [[Float]]) {
        let v = config.vision
        let perImage = v.numChannels * v.imageSize * v.imageSize
        var features: [[Float]] = [], projected: [[Float]] = []
        for i in 0..<inputs.imageCount {
            let f = vision.forward(pixels: inputs.pixelValues!.data[(i * perImage)..<((i + 1) * perImage)])
            features.append(f)
            projected.append(projector.forward(f, tokens: vision.outputTokens))
        }
        var embeddings = [Float]()
        var next = 0
        for t in inputs.tokenIDs {
            if t == RunInputs.imageToken {
                embeddings += projected[next]
                next += 1
            } else {
                embeddings += try embedding(of: Int(t))
            }
        }
        return (embeddings, features, projected)
    }

    /// Checks image count, pixel shape and token range against the model.
    public func validate(_ inputs: RunInputs) throws {
        let n = inputs.imageCount
        let images = inputs.pixelValues?.shape.dims.first ?? 0
        guard n == images else { throw RunError.imageCountMismatch(markers: n, images: images) }
        guard !inputs.tokenIDs.isEmpty else { throw RunError.emptyPrompt }
        let v = config.vision
        if let px = inputs.pixelValues {
            let expected = [n, v.numChannels, v.imageSize, v.imageSize]
            guard px.shape.dims == expected else { throw RunError.badPixelShape(expected: expected, found: px.shape.dims) }
        }
        let vocab = config.llm.vocabSize
        for (i, t) in inputs.tokenIDs.enumerated() where t != RunInputs.imageToken && !(0..<Int64(vocab)).contains(t) {
            throw RunError.tokenOutOfRange(position: i, id: t, vocab: vocab)
        }
    }
}
