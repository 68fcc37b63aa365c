/// How a model turns images into tokens, for `inspect`: the tiling scheme, and for given image
/// sizes the grid, tiles and tokens each would get.
public struct ImageTilingSummary: Encodable, Sendable {
    /// "single" (one tower input per image), "dynamic_s2" (NVILA), "dynamic" (NVILA-Lite's tiles
    /// and thumbnail) or "multi_scale_s2" (VILA 1.5's `s2`).
    public let mode: String
    public let scales: [Int]?
    public let maxTiles: Int?
    public let minTiles: Int?
    /// Index of the scale whose feature grid every scale is resized to.
    public let resizeOutputTo: Int?
    /// Tokens one projector call yields (per image, or per block with dynamic S2).
    public let tokensPerBlock: Int
    public let images: [ImageTokens]

    public struct ImageTokens: Encodable, Sendable {
        public let width, height: Int
        /// The last scale's rows×cols (1×1 without dynamic S2).
        public let grid: String
        public let tiles: Int
        public let tokens: Int
    }

    public init(_ c: VLMConfig, imageSizes: [(width: Int, height: Int)]) {
        let s2 = c.dynamicS2, ms = c.multiScaleS2, dyn = c.dynamicTiling
        mode = s2 != nil ? "dynamic_s2" : ms != nil ? "multi_scale_s2" : dyn != nil ? "dynamic" : "single"
        scales = s2?.scales ?? ms?.scales
        maxTiles = s2?.maxTiles ?? dyn?.maxTiles
        minTiles = s2?.minTiles ?? dyn?.minTiles
        resizeOutputTo = s2?.resizeOutputTo ?? ms?.resizeOutputTo
        let towerRuns = ms.map { $0.splits.reduce(0) { $0 + $1 * $1 } }
        tokensPerBlock = (try? c.imageTokens.get()) ?? 0
        let perImage = tokensPerBlock
        images = imageSizes.map { size in
            if let dyn {
                // Every tile (and the thumbnail) is an image of its own in the prompt.
                let g = dyn.grid(width: size.width, height: size.height)
                let n = dyn.tileCount(g)
                return ImageTokens(width: size.width, height: size.height, grid: g.description, tiles: n, tokens: n * perImage)
            }
            let g = c.grid(width: size.width, height: size.height)
            return ImageTokens(width: size.width, height: size.height, grid: g.description, tiles: towerRuns ?? c.tileCount(g), tokens: c.imageTokens(g))
        }
    }
}
