import ModelGraph
import ReferenceRuntime
import TensorCore

extension AWQ {
    /// The calibration set as the first decoder layer sees it: every sequence's embeddings
    /// (images spliced in) concatenated, and the blocks attention runs over (all tokens; the
    /// first `searchTokens` for scoring).
    public struct Calibrated: Sendable {
        /// The first layer's inputs [tokens, hidden] (taken by the driver, see `takeInputs`).
        public private(set) var inputs: [Float]
        let all: AWQBlocks
        let sub: AWQBlocks

        public init(weights: any WeightSource, calibration: CalibrationData, settings: Settings) throws {
            let c = weights.config.llm
            // Only the tower, projector and embedding table: no decoder layer is loaded here.
            let embedder = try PromptEmbedder(weights: weights)
            var x: [Float] = []
            var lengths: [Int] = []
            // Each sequence takes the next images' tower inputs (one per image, or its S2 tiles).
            var imageOffset = 0, tileOffset = 0
            let config = weights.config
            let v = config.vision, side = config.inputImageSize
            let perTile = v.numChannels * side * side
            for seq in calibration.sequences {
                let n = seq.filter { $0 == RunInputs.imageToken }.count
                var px: Tensor? = nil
                var grids: [TileGrid]? = nil
                if n > 0, let all = calibration.pixelValues {
                    grids = calibration.grids.map { Array($0[min(imageOffset, $0.count)..<min(imageOffset + n, $0.count)]) }
                    // Missing grids count one tile each; validate() then names the mismatch.
                    let tiles = (0..<n).reduce(0) { sum, i in
                        sum + config.tileCount(grids.flatMap { i < $0.count ? $0[i] : nil } ?? TileGrid(rows: 1, cols: 1))
                    }
                    let end = min((tileOffset + tiles) * perTile, all.data.count)
                    px = Tensor(shape: [(end - tileOffset * perTile) / perTile, v.numChannels, side, side],
                                data: Array(all.data[(tileOffset * perTile)..<end]))
                    imageOffset += n
                    tileOffset += tiles
                }
                let inputs = RunInputs(tokenIDs: seq, pixelValues: px, grids: grids)
                try embedder.validate(inputs)
                let e = try embedder.spliceEmbeddings(inputs).embeddings
                x += e
                lengths.append(e.count / c.hiddenSize)
            }
            var searchLengths: [Int] = []
            for n in lengths where searchLengths.reduce(0, +) < settings.searchTokens { searchLengths.append(n) }
            inputs = x
            all = AWQBlocks(config: c, lengths: lengths)
            sub = AWQBlocks(config: c, lengths: searchLengths)
        }

        public var tokens: Int { all.tokens }

        /// Hands the first layer's inputs over to the caller, so they are not held twice.
        public mutating func takeInputs() -> [Float] {
            defer { inputs = [] }
            return inputs
        }
    }
}
