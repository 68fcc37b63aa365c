import Foundation
import Imaging
import ModelGraph
import TensorIO
import TestSupport
import Testing

/// NVILA-Lite's dynamic tiles against VILA's `dynamic_preprocess` run in Python
/// (golden/dynamic_s2.py): the grid for ~110 image sizes under three (tile size, min, max) configs;
/// the thumbnail rule; the tiles' pixels are checked end to end by the NVILA-Lite e2e golden.
@Suite struct DynamicTilerTests {
    @Test func gridsMatchVILAsChoice() throws {
        let doc = try JSONParser.parse(String(contentsOfFile: TestFiles.golden("images/dynamic-grids.json"), encoding: .utf8))
        let configs = try #require(doc["configs"]?.objectValue)
        #expect(configs.count == 3)
        var checked = 0
        for (name, c) in configs {
            let tiling = DynamicTilingConfig(tileSize: c["tile_size"]!.intValue!, minTiles: c["min_tiles"]!.intValue!, maxTiles: c["max_tiles"]!.intValue!)
            for g in c["grids"]!.arrayValue! {
                let (w, h) = (g["width"]!.intValue!, g["height"]!.intValue!)
                #expect(tiling.grid(width: w, height: h) == TileGrid(rows: g["rows"]!.intValue!, cols: g["cols"]!.intValue!), "\(name) \(w)x\(h)")
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    @Test func aThumbnailFollowsSeveralTilesOnly() throws {
        let tiling = DynamicTilingConfig(tileSize: 16, minTiles: 1, maxTiles: 6)
        #expect(tiling.tileCount(TileGrid(rows: 1, cols: 1)) == 1)
        #expect(tiling.tileCount(TileGrid(rows: 2, cols: 3)) == 7)
        let pre = ImagePreprocessor(config: .defaults(for: try VisionConfig(try ConfigObject(json: try JSONParser.parse(#"{"model_type": "siglip_vision_model", "image_size": 16}"#), file: "v"))), aspect: .processor)
        let wide = RGBImage(width: 48, height: 16, pixels: [UInt8](repeating: 100, count: 48 * 16 * 3))
        let tiles = try pre.dynamicTiles(wide, tiling: tiling)
        #expect(tiles.count == 4 && tiles.allSatisfy { $0.width == 16 && $0.height == 16 })
    }
}
