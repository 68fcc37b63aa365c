import ModelGraph
import TensorCore

/// What the runner is asked to compute: a prompt whose −200 entries mark where each image's
/// tokens go, and the preprocessed images.
public struct RunInputs: Sendable {
    /// VILA's IMAGE_TOKEN_INDEX.
    public static let imageToken: Int64 = -200

    public let tokenIDs: [Int64]
    /// [N, C, H, W] — one tower input per image, or with dynamic S2 every tile of every image in
    /// order — or nil when the prompt has no image.
    public let pixelValues: Tensor?
    /// With dynamic S2: each image's last-scale grid (what decides its tile count).
    public let grids: [TileGrid]?

    public init(tokenIDs: [Int64], pixelValues: Tensor?, grids: [TileGrid]? = nil) {
        self.tokenIDs = tokenIDs
        self.pixelValues = pixelValues
        self.grids = grids
    }

    public var imageCount: Int { tokenIDs.filter { $0 == Self.imageToken }.count }

    /// Image i's grid (1×1 without dynamic S2).
    public func grid(_ i: Int) -> TileGrid { grids?[i] ?? TileGrid(rows: 1, cols: 1) }
}

/// Every stage's output, as `vlmkit run --dump` writes them.
public struct RunOutputs: Sendable {
    /// [N, P, Dv] after feature selection (nil without images).
    public var visionFeatures: Tensor?
    /// [N, P', D] (nil without images).
    public var projected: Tensor?
    /// [L, V] for every position of the spliced prompt.
    public var logits: Tensor
    /// Greedy continuation.
    public var generatedIDs: [Int64]
}

public enum RunError: Error, CustomStringConvertible, Equatable {
    case imageCountMismatch(markers: Int, images: Int)
    case gridsMismatch(detail: String)
    case badPixelShape(expected: [Int], found: [Int])
    case tokenOutOfRange(position: Int, id: Int64, vocab: Int)
    case emptyPrompt
    case tooLong(positions: Int, limit: Int)

    public var description: String {
        switch self {
        case let .imageCountMismatch(m, n): return "the prompt has \(m) image markers (−200) but \(n) images were given"
        case let .gridsMismatch(detail): return detail
        case let .badPixelShape(e, f): return "pixel_values has shape \(Shape(f)), expected \(Shape(e))"
        case let .tokenOutOfRange(p, id, v): return "token id \(id) at position \(p) is outside the vocabulary (0..<\(v))"
        case .emptyPrompt: return "the prompt has no tokens"
        case let .tooLong(p, l): return "the spliced prompt and continuation need \(p) positions, more than max_position_embeddings (\(l))"
        }
    }
}

/// The whole VILA forward pass on the CPU in float32: vision tower → projector → Llama, with
/// greedy decoding through the KV cache.
// Unchecked Sendable: immutable after init (its runners are read-only, see LlamaRunner).
public final class VLMRunner: @unchecked Sendable {
    public let config: VLMConfig
    public let vision: VisionEncoder
    public let projector: ProjectorRunner
    public let llm: LlamaRunner
    /// The prompt's embeddings (vision, projector and the embedding table of `llm`).
    public let embedder: PromptEmbedder

    /// Loads every weight of a float checkpoint's graph converted to f32.
    public convenience init(_ graph: VLMGraph) throws {
        try self.init(weights: GraphWeights(graph))
    }

    /// Loads the weights a source provides (float or quantized).
    public init(weights: any WeightSource) throws {
        config = weights.config
        vision = try VisionEncoder(weights)
        projector = try ProjectorRunner(weights)
        llm = try LlamaRunner(weights)
        embedder = PromptEmbedder(config: config, vision: vision, projector: projector, embedding: llm.embed)
    }

    /// Prompt embeddings [L, H] with each image marker replaced by that image's projected tokens,
    /// plus the per-image vision features and projector outputs. Inputs must be validated.
    public func spliceEmbeddings(_ inputs: RunInputs) throws -> (embeddings: [Float], features: [[Float]], projected: [[Float]]) {
        try embedder.spliceEmbeddings(inputs)
    }

    /// Checks image count, pixel shape and token range against the model.
    public func validate(_ inputs: RunInputs) throws { try embedder.validate(inputs) }

    /// Positions the prompt takes once each image marker is replaced by the image's tokens.
    public func splicedLength(_ inputs: RunInputs) -> Int {
        let n = inputs.imageCount
        return inputs.tokenIDs.count - n + (0..<n).reduce(0) { $0 + config.imageTokens(inputs.grid($1)) }
    }

    public func run(_ inputs: RunInputs, maxNewTokens: Int) throws -> RunOutputs {
        try validate(inputs)
        let n = inputs.imageCount
        let vocab = config.llm.vocabSize
        // Check the spliced length before allocating anything for it.
        let planned = splicedLength(inputs)
        guard maxNewTokens >= 0, planned <= config.llm.maxPositionEmbeddings - min(maxNewTokens, config.llm.maxPositionEmbeddings) else {
            throw RunError.tooLong(positions: planned + max(0, maxNewTokens), limit: config.llm.maxPositionEmbeddings)
        }
        let (embeddings, features, projected) = try spliceEmbeddings(inputs)
        let h = config.llm.hiddenSize
        let projectedTokens = projected.first.map { $0.count / h } ?? 0
        let length = embeddings.count / h
        guard length + maxNewTokens <= config.llm.maxPositionEmbeddings else {
            throw RunError.tooLong(positions: length + maxNewTokens, limit: config.llm.maxPositionEmbeddings)
        }
        var cache = llm.makeCache()
        let logits = llm.forward(embeddings, tokens: length, cache: &cache, allLogits: true)

        // Greedy continuation through the cache.
        var generated: [Int64] = []
        var last = Array(logits[((length - 1) * vocab)...])
        for step in 0..<maxNewTokens {
            let token = Kernels.argmax(last[...])
            generated.append(Int64(token))
            if step + 1 < maxNewTokens {
                last = llm.forward(try llm.embedding(of: token), tokens: 1, cache: &cache, allLogits: false)
            }
        }

        // Images of different S2 grids give differently sized outputs: those are not stacked.
        let featureWidth = config.projector.visionHiddenSize
        let stackable = n > 0 && Set(features.map(\.count)).count == 1 && Set(projected.map(\.count)).count == 1
        return RunOutputs(
            visionFeatures: stackable ? Tensor(shape: [n, features[0].count / featureWidth, featureWidth], data: features.flatMap { $0 }) : nil,
            projected: stackable ? Tensor(shape: [n, projectedTokens, h], data: projected.flatMap { $0 }) : nil,
            logits: Tensor(shape: [length, vocab], data: logits),
            generatedIDs: generated)
    }
}
