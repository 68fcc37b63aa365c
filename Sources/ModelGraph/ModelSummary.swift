import TensorCore

/// What `vlmkit inspect` reports: architecture, sizes and problems, computed from headers and
/// configs alone (no tensor data is read).
public struct ModelSummary: Encodable, Sendable {
    public struct Vision: Encodable, Sendable {
        public let kind: String
        public let imageSize, patchSize, gridSize, hiddenSize, intermediateSize, layers, heads: Int
        public let hiddenAct: String
        public let selectLayer: Int
        public let layersRun: Int
        public let selectFeature: String
        public let featureTokens: Int
    }

    public struct ProjectorInfo: Encodable, Sendable {
        public let type: String
        public let inputSize, outputSize: Int
        public let bias: Bool
        public let imageTokens: Int
        /// For merging projectors: "k×k", the token order ("vila1.5" or "nvila") and why.
        public let merge: String?
        public let mergeOrder: String?
        public let mergeOrderReason: String?
    }

    public struct LLM: Encodable, Sendable {
        /// "llama" or "qwen2".
        public let architecture: String
        /// Which Linears carry biases: "none", or a list such as "q, k, v".
        public let biases: String
        public let hiddenSize, intermediateSize, layers, heads, kvHeads, gqaRatio, headDim, vocabSize: Int
        public let maxPositionEmbeddings: Int
        public let ropeTheta: Double
        public let ropeScaling: String
        public let rmsNormEps: Double
        public let tieWordEmbeddings: Bool
        public let storedDtype: String?
    }

    public struct DTypeStats: Encodable, Sendable {
        public var tensors = 0
        public var parameters = 0
        public var bytes = 0
    }

    public struct Component: Encodable, Sendable {
        public let name: String
        public var tensors = 0
        public var parameters = 0
        public var bytes = 0
        public var byDtype: [String: DTypeStats] = [:]

        init(name: String) { self.name = name }

        mutating func add(_ e: StoredTensor) {
            tensors += 1
            parameters += e.parameters
            bytes += e.bytes
            byDtype[e.storage, default: DTypeStats()].tensors += 1
            byDtype[e.storage, default: DTypeStats()].parameters += e.parameters
            byDtype[e.storage, default: DTypeStats()].bytes += e.bytes
        }
    }

    /// How the tokenizer's ids cover the embedding rows (filled in by whoever can load it).
    public struct TokenizerCoverage: Encodable, Sendable {
        /// Ids that have a token (the largest such id + 1).
        public let ids: Int
        public let embeddingRows: Int
        public let note: String

        public init(ids: Int, embeddingRows: Int) {
            self.ids = ids
            self.embeddingRows = embeddingRows
            if ids == embeddingRows {
                note = "every embedding row has a token"
            } else if ids < embeddingRows {
                note = "\(embeddingRows - ids) embedding rows have no token — padding rows, normal (LLaVA-1.5 pads 32002 tokens to 32064 rows); a generated id among them prints as a placeholder"
            } else {
                note = "the tokenizer has ids beyond the \(embeddingRows) embedding rows; text that encodes to them is refused"
            }
        }
    }

    public var tokenizer: TokenizerCoverage?

    /// How `run` builds prompts: the conversation template it picks, why, and what it puts
    /// around each image's features.
    public struct PromptFormat: Encodable, Sendable {
        public var template: String?
        public var reason: String?
        public var stop: String?
        public var imageStartTokens: String?
        public var imageEndTokens: String?
        public var imageEncoderReason: String?

        enum CodingKeys: String, CodingKey {
            case template, reason, stop, imageStartTokens = "image_start_tokens", imageEndTokens = "image_end_tokens"
            case imageEncoderReason = "image_encoder_reason"
        }
    }

    public var prompt: PromptFormat
    /// Tiling and tokens per image (sizes from `inspect --image-size`).
    public var tiling: ImageTilingSummary

    public let path: String
    public let layout: String
    public let vision: Vision
    public let projector: ProjectorInfo
    public let llm: LLM
    public let components: [Component]
    public let total: Component
    public let ignored: [IgnoredTensor]
    public var problems: [String]

    /// One stored tensor as the summary counts it: a slot's weights under some storage (a float
    /// dtype or a quantization scheme), with its logical parameter count and stored bytes.
    public struct StoredTensor: Sendable {
        public let slot: String
        public let storage: String
        public let parameters: Int
        public let bytes: Int

        public init(slot: String, storage: String, parameters: Int, bytes: Int) {
            self.slot = slot
            self.storage = storage
            self.parameters = parameters
            self.bytes = bytes
        }
    }

    public init(_ g: VLMGraph) {
        self.init(path: g.path, config: g.config,
                  tensors: g.tensors.map { StoredTensor(slot: $0.slot, storage: $0.dtype.displayName,
                                                        parameters: $0.shape.elementCount, bytes: $0.info.byteCount) },
                  ignored: g.ignored)
    }

    public init(path: String, config c: VLMConfig, tensors: [StoredTensor], ignored: [IgnoredTensor], layoutNote: String? = nil) {
        self.path = path
        layout = c.layout.rawValue + (layoutNote.map { " (\($0))" } ?? "")
        let v = c.vision
        vision = Vision(kind: v.kind.rawValue, imageSize: v.imageSize, patchSize: v.patchSize, gridSize: v.gridSize,
                        hiddenSize: v.hiddenSize, intermediateSize: v.intermediateSize, layers: v.numLayers,
                        heads: v.numHeads, hiddenAct: v.hiddenAct, selectLayer: c.selectLayer,
                        layersRun: c.visionLayersUsed, selectFeature: c.selectFeature.rawValue,
                        featureTokens: c.towerTokens)
        let imageTokens = (try? c.imageTokens.get()) ?? 0
        let p = c.projector
        let k = p.type.mergeFactor
        projector = ProjectorInfo(type: p.type.rawValue, inputSize: p.inputSize, outputSize: p.textHiddenSize, bias: p.hasBias,
                                  imageTokens: imageTokens, merge: k.map { "\($0)×\($0)" },
                                  mergeOrder: k == nil ? nil : p.mergeOrder.rawValue, mergeOrderReason: k == nil ? nil : p.mergeOrderReason)
        let l = c.llm
        let scaling: String
        switch l.ropeScaling {
        case nil: scaling = "none"
        case let .linear(f)?: scaling = "linear (factor \(f))"
        case let .llama3(f, lo, hi, orig)?: scaling = "llama3 (factor \(f), low \(lo), high \(hi), original \(orig))"
        }
        let biased = [l.qkvBias ? "q, k, v" : nil, l.outputBias ? "o" : nil, l.mlpBias ? "gate, up, down" : nil].compactMap { $0 }
        llm = LLM(architecture: l.architecture.rawValue, biases: biased.isEmpty ? "none" : biased.joined(separator: ", "),
                  hiddenSize: l.hiddenSize, intermediateSize: l.intermediateSize, layers: l.numLayers, heads: l.numHeads,
                  kvHeads: l.numKVHeads, gqaRatio: l.gqaRatio, headDim: l.headDim, vocabSize: l.vocabSize,
                  maxPositionEmbeddings: l.maxPositionEmbeddings, ropeTheta: l.ropeTheta, ropeScaling: scaling,
                  rmsNormEps: l.rmsNormEps, tieWordEmbeddings: l.tieWordEmbeddings, storedDtype: l.storedDType)
        var parts = [Component(name: "vision"), Component(name: "projector"), Component(name: "llm")]
        var total = Component(name: "total")
        for t in tensors {
            let i = t.slot.hasPrefix("vision.") ? 0 : t.slot.hasPrefix("projector.") ? 1 : 2
            parts[i].add(t)
            total.add(t)
        }
        components = parts
        self.total = total
        self.ignored = ignored
        problems = c.warnings
        tiling = ImageTilingSummary(c, imageSizes: [])
        prompt = PromptFormat(imageStartTokens: c.imageEncoder?.startTokens, imageEndTokens: c.imageEncoder?.endTokens,
                              imageEncoderReason: c.imageEncoder?.reason)
    }
}
