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
    /// With dynamic S2 the features are the multi-scale map [Ho·Wo, S·Dv] of each image.
    public func spliceEmbeddings(_ inputs: RunInputs) throws -> (embeddings: [Float], features: [[Float]], projected: [[Float]]) {
        let v = config.vision
        let perTile = v.numChannels * config.inputImageSize * config.inputImageSize
        var features: [[Float]] = [], projected: [[Float]] = []
        if let s2 = config.multiScaleS2 {
            for i in 0..<inputs.imageCount {
                let f = MultiScaleS2Features.features(pixels: inputs.pixelValues!.data[(i * perTile)..<((i + 1) * perTile)], s2: s2,
                                                      channels: v.numChannels, tower: { vision.forward(pixels: $0) },
                                                      towerGrid: towerGrid, width: v.hiddenSize)
                features.append(f)
                projected.append(projector.forward(f, tokens: config.featureTokens))
            }
            return (try splice(inputs, projected), features, projected)
        }
        var tile = 0
        for i in 0..<inputs.imageCount {
            let grid = inputs.grid(i)
            let count = config.tileCount(grid)
            let tiles = (tile..<(tile + count)).map { vision.forward(pixels: inputs.pixelValues!.data[($0 * perTile)..<(($0 + 1) * perTile)]) }
            tile += count
            if let s2 = config.dynamicS2 {
                let (f, p) = projectS2(tiles, s2: s2, grid: grid)
                features.append(f)
                projected.append(p)
            } else {
                features.append(tiles[0])
                projected.append(projector.forward(tiles[0], tokens: vision.outputTokens))
            }
        }
        return (try splice(inputs, projected), features, projected)
    }

    /// Side of one tower run's feature grid (square for S2 models; the config checks it).
    var towerGrid: Int { Int(Double(vision.outputTokens).squareRoot().rounded()) }

    /// Token embeddings with each image marker replaced, in order, by the next image's tokens.
    func splice(_ inputs: RunInputs, _ projected: [[Float]]) throws -> [Float] {
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
        return embeddings
    }

    /// NVILA's `encode_images` with dynamic S2: the multi-scale map, cut into blocks of one tile's
    /// grid, each block projected, and the projected blocks put back together so that the tokens
    /// run row by row over the whole image (not block by block).
    func projectS2(_ tiles: [[Float]], s2: DynamicS2Config, grid: TileGrid) -> (features: [Float], projected: [Float]) {
        let g = towerGrid
        let width = config.projector.visionHiddenSize
        let (map, h, w) = DynamicS2Features.merge(tiles: tiles, s2: s2, grid: grid, tileGrid: g, width: config.vision.hiddenSize)
        let blocks = s2.outputBlocks(grid)
        precondition(h == blocks.rows * g && w == blocks.cols * g)
        let parts = DynamicS2Features.split(map, rows: blocks.rows, cols: blocks.cols, partHeight: g, partWidth: g, width: width)
        let out = parts.map { projector.forward($0, tokens: g * g) }
        let d = config.projector.textHiddenSize
        let side = Int(Double(out[0].count / d).squareRoot().rounded())
        let stitched = DynamicS2Features.chessboard(out, rows: blocks.rows, cols: blocks.cols, partHeight: side, partWidth: side, width: d)
        return (map, stitched)
    }

    /// Checks image count, pixel shape and token range against the model.
    public func validate(_ inputs: RunInputs) throws {
        let n = inputs.imageCount
        guard !inputs.tokenIDs.isEmpty else { throw RunError.emptyPrompt }
        let v = config.vision
        let tiles: Int
        if config.dynamicS2 != nil {
            // A text-only prompt has no images and needs no grids.
            let grids = inputs.grids ?? []
            guard grids.count == n else {
                throw RunError.gridsMismatch(detail: "dynamic S2 needs each image's tile grid: \(n) images, \(inputs.grids?.count ?? 0) grids given (golden files: input.grids [N, 2])")
            }
            if let bad = grids.first(where: { !$0.isUntiled && ($0.rows < 1 || $0.cols < 1 || $0.rows * $0.cols > 64) }) {
                throw RunError.gridsMismatch(detail: "tile grid \(bad) is not a grid of 1 to 64 tiles (or 0×0: untiled)")
            }
            tiles = grids.reduce(0) { $0 + config.tileCount($1) }
        } else {
            guard inputs.grids == nil || inputs.grids!.allSatisfy({ $0 == TileGrid(rows: 1, cols: 1) }) else {
                throw RunError.gridsMismatch(detail: "tile grids were given but the model does not tile images (no dynamic S2)")
            }
            tiles = n
        }
        let images = inputs.pixelValues?.shape.dims.first ?? 0
        guard tiles == images || (n == 0 && images == 0) else {
            if config.dynamicS2 != nil {
                throw RunError.gridsMismatch(detail: "the \(n) images' tile grids need \(tiles) tiles but pixel_values has \(images)")
            }
            throw RunError.imageCountMismatch(markers: n, images: images)
        }
        if let px = inputs.pixelValues {
            let expected = [tiles, v.numChannels, config.inputImageSize, config.inputImageSize]
            guard px.shape.dims == expected else { throw RunError.badPixelShape(expected: expected, found: px.shape.dims) }
        }
        let vocab = config.llm.vocabSize
        for (i, t) in inputs.tokenIDs.enumerated() where t != RunInputs.imageToken && !(0..<Int64(vocab)).contains(t) {
            throw RunError.tokenOutOfRange(position: i, id: t, vocab: vocab)
        }
    }
}
