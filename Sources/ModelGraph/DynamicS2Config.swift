/// NVILA's dynamic S2 (`image_aspect_ratio: dynamic_s2`): each image is seen at several scales.
/// Every scale but the last is the image resized to a k×k square of tiles (k = scale / scales[0]);
/// the last is a rows×cols grid of tiles chosen by the image's aspect ratio. Each tile runs through
/// the tower alone; per scale the tile features are put back together (chessboard merge),
/// area-resized to the grid of scale `resizeOutputTo`, concatenated on channels, cut into blocks of
/// one tile's grid, and projected block by block (NVlabs/VILA llava_arch.py and mm_utils.py, 36f6adc).
/// The rows×cols grid of tiles an image's last S2 scale is cut into (1×1 without dynamic S2).
/// `untiled` (0×0): a dynamic-S2 image that was not tiled — NVILA's `generate_content` with several
/// images preprocesses each whole, and `merge_features_for_dynamic_s2` repeats its one tile's
/// features for every scale (block size None).
public struct TileGrid: Equatable, Sendable, Encodable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int
    public init(rows: Int, cols: Int) { self.rows = rows; self.cols = cols }
    public static let untiled = TileGrid(rows: 0, cols: 0)
    public var isUntiled: Bool { self == .untiled }
    public var description: String { isUntiled ? "untiled" : "\(rows)×\(cols)" }
}

extension TileGrid {
    /// VILA's `find_closest_aspect_ratio` over the grids its `dynamic_preprocess` and
    /// `dynamic_s2_preprocess` allow: among (cols, rows) with minTiles ≤ cols·rows ≤ maxTiles, in
    /// order of cols·rows, the one whose cols/rows is closest to width/height; an equally close later
    /// one wins when the image's area exceeds half of that grid's.
    public static func closest(width: Int, height: Int, tileSize: Int, minTiles: Int, maxTiles: Int) -> TileGrid {
        var candidates: [(cols: Int, rows: Int)] = []
        for c in 1...maxTiles { for r in 1...maxTiles where c * r >= minTiles && c * r <= maxTiles { candidates.append((c, r)) } }
        // Python sorts a set by the product; equal products keep the set's order, which we fix as (cols, rows).
        candidates.sort { ($0.cols * $0.rows, $0.cols, $0.rows) < ($1.cols * $1.rows, $1.cols, $1.rows) }
        let aspect = Double(width) / Double(height)
        let area = Double(width) * Double(height)
        var best = (cols: 1, rows: 1)
        var bestDiff = Double.infinity
        for c in candidates {
            let diff = abs(aspect - Double(c.cols) / Double(c.rows))
            if diff < bestDiff {
                bestDiff = diff
                best = c
            } else if diff == bestDiff, area > 0.5 * Double(tileSize * tileSize * c.cols * c.rows) {
                best = c
            }
        }
        return TileGrid(rows: best.rows, cols: best.cols)
    }
}

public struct DynamicS2Config: Equatable, Sendable, Encodable {
    /// Ascending, in pixels; scales[0] is the tile size (the processor's crop size).
    public var scales: [Int]
    /// Index into `scales` of the scale whose feature grid every scale is resized to.
    public var resizeOutputTo: Int
    /// Most tiles at the last scale (`max_tiles`, default 12).
    public var maxTiles: Int

    public init(scales: [Int], resizeOutputTo: Int, maxTiles: Int) {
        self.scales = scales
        self.resizeOutputTo = resizeOutputTo
        self.maxTiles = maxTiles
    }

    public var tileSize: Int { scales[0] }
    /// Tiles per side of every scale but the last.
    public var fixedSides: [Int] { scales.dropLast().map { $0 / scales[0] } }
    /// Fewest tiles at the last scale: as many as its square would have.
    public var minTiles: Int { let k = scales.last! / scales[0]; return k * k }

    /// The grid of the last scale for an image, as VILA's `dynamic_s2_preprocess` chooses it: among
    /// (cols, rows) with minTiles ≤ cols·rows ≤ maxTiles, in order of cols·rows, the one whose
    /// cols/rows is closest to width/height; an equally close later one wins when the image's
    /// area exceeds half of that grid's (`find_closest_aspect_ratio`).
    public func grid(width: Int, height: Int) -> TileGrid {
        TileGrid.closest(width: width, height: height, tileSize: tileSize, minTiles: minTiles, maxTiles: maxTiles)
    }

    /// Tiles the tower runs for an image whose last scale is rows×cols, in VILA's order: each fixed
    /// scale's k² tiles row by row, then the last scale's.
    public func tileCount(_ g: TileGrid) -> Int {
        g.isUntiled ? 1 : fixedSides.reduce(0) { $0 + $1 * $1 } + g.rows * g.cols
    }

    /// Blocks (of one tile's feature grid) that the projector runs on: the grid of the scale
    /// features are resized to.
    public func outputBlocks(_ g: TileGrid) -> TileGrid {
        if g.isUntiled { return TileGrid(rows: 1, cols: 1) }
        return resizeOutputTo == scales.count - 1 ? g : TileGrid(rows: fixedSides[resizeOutputTo], cols: fixedSides[resizeOutputTo])
    }

    /// Reads the dynamic S2 fields of VILA's top-level config.
    static func read(_ top: ConfigObject, file: String, tileSize: Int) throws -> DynamicS2Config {
        let (scales, text) = try S2ConfigFields.scales(top, file: file, example: "448,896,1344")
        guard scales[0] == tileSize else {
            throw ConfigError.invalidValue(file: file, key: "s2_scales", detail: "starts at \(scales[0]) but the vision tower's image size is \(tileSize); dynamic S2 tiles are the tower's input size")
        }
        guard scales.allSatisfy({ $0 % scales[0] == 0 }), Set(scales).count == scales.count else {
            throw ConfigError.invalidValue(file: file, key: "s2_scales", detail: "\"\(text)\" must be distinct multiples of its smallest size")
        }
        let index = try S2ConfigFields.resizeIndex(top, file: file, scales: scales.count)
        let maxTiles = try top.int("max_tiles", default: 12)
        let k = scales.last! / scales[0]
        guard maxTiles >= k * k, maxTiles <= 64 else {
            throw ConfigError.invalidValue(file: file, key: "max_tiles", detail: "(\(maxTiles)) must be at least the last scale's \(k * k) tiles and at most 64")
        }
        return DynamicS2Config(scales: scales, resizeOutputTo: index, maxTiles: maxTiles)
    }
}
