/// NVILA-Lite's `image_aspect_ratio: dynamic` (InternVL-style tiles): a prompt's single image is
/// resized to the rows×cols grid of tower-sized tiles its aspect ratio picks and cut row by row,
/// plus the whole image resized to one tile (a thumbnail) when there is more than one tile. Each
/// tile is then an image of its own in the prompt: NVILA's `generate_content` replaces the image's
/// `<image>` with `"<image>\n"` once per tile (NVlabs/VILA @ 36f6adc, llava/model/llava_arch.py and
/// llava/mm_utils.py `dynamic_preprocess`). Several images in one prompt are not tiled.
public struct DynamicTilingConfig: Equatable, Sendable, Encodable {
    /// The tile side: the processor's (and tower's) input size.
    public var tileSize: Int
    /// `min_tiles` (default 1) and `max_tiles` (default 12) of the top-level config.
    public var minTiles: Int
    public var maxTiles: Int

    public init(tileSize: Int, minTiles: Int, maxTiles: Int) {
        self.tileSize = tileSize
        self.minTiles = minTiles
        self.maxTiles = maxTiles
    }

    public func grid(width: Int, height: Int) -> TileGrid {
        TileGrid.closest(width: width, height: height, tileSize: tileSize, minTiles: minTiles, maxTiles: maxTiles)
    }

    /// Tower inputs for one image: the grid's tiles, and the thumbnail when they are more than one.
    public func tileCount(_ g: TileGrid) -> Int { g.rows * g.cols + (g.rows * g.cols > 1 ? 1 : 0) }

    static func read(_ top: ConfigObject, file: String, tileSize: Int) throws -> DynamicTilingConfig {
        let lo = try top.int("min_tiles", default: 1)
        let hi = try top.int("max_tiles", default: 12)
        guard lo >= 1, hi >= lo, hi <= 64 else {
            throw ConfigError.invalidValue(file: file, key: "max_tiles", detail: "min_tiles (\(lo)) and max_tiles (\(hi)) must satisfy 1 ≤ min_tiles ≤ max_tiles ≤ 64")
        }
        return DynamicTilingConfig(tileSize: tileSize, minTiles: lo, maxTiles: hi)
    }
}
