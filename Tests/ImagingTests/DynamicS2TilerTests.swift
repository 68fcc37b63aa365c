import Foundation
import Imaging
import ModelGraph
import TensorIO
import TestSupport
import Testing

/// NVILA's dynamic S2 tiling against VILA's own functions run in Python (golden/dynamic_s2.py):
/// the grid picked for ~110 image sizes under three configs, and the tiles' pixels through Pillow
/// and transformers for four image files.
@Suite struct DynamicS2TilerTests {
    static let grids = try! JSONParser.parse(String(contentsOfFile: TestFiles.golden("images/dynamic-s2-grids.json"), encoding: .utf8))
    static let tiles = try! SafetensorsFile(path: TestFiles.golden("images/dynamic-s2.golden.safetensors"))

    static func config(_ scales: [Int], maxTiles: Int) -> DynamicS2Config {
        DynamicS2Config(scales: scales, resizeOutputTo: scales.count - 1, maxTiles: maxTiles)
    }

    @Test func gridsMatchVILAsChoice() throws {
        let configs = try #require(Self.grids["configs"]?.objectValue)
        #expect(configs.count == 3)
        var checked = 0
        for (name, c) in configs {
            let s2 = Self.config(c["s2_scales"]!.arrayValue!.map { $0.intValue! }, maxTiles: c["max_tiles"]!.intValue!)
            for g in c["grids"]!.arrayValue! {
                let (w, h) = (g["width"]!.intValue!, g["height"]!.intValue!)
                let ours = s2.grid(width: w, height: h)
                #expect(ours == TileGrid(rows: g["rows"]!.intValue!, cols: g["cols"]!.intValue!), "\(name) \(w)x\(h)")
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    @Test(arguments: ["photo-320x240.jpg", "tall-gray-33x70.png", "wide-80x45.png", "tiny-7x5.png"])
    func tilesEqualPillowAndTransformers(_ image: String) throws {
        let meta = Self.tiles.metadata
        let processor = try ImageProcessorConfig(ConfigObject.read(TestFiles.golden(meta["processor"]!) + "/preprocessor_config.json"))
        let scales = meta["s2_scales"]!.split(separator: ",").map { Int($0)! }
        let s2 = Self.config(scales, maxTiles: Int(meta["max_tiles"]!)!)
        let pre = ImagePreprocessor(config: processor, aspect: .processor)
        let (pixels, grids) = try pre.dynamicS2PixelValues(paths: [TestFiles.golden("images/files/" + image)], s2: s2)
        let grid = try Self.tiles.int64("grid." + image).values
        #expect(grids == [TileGrid(rows: Int(grid[0]), cols: Int(grid[1]))])
        let expected = try Self.tiles.float32("tiles." + image)
        #expect(pixels.shape == expected.shape)
        let maxAbs = zip(pixels.data, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxAbs == 0, "\(image): max abs \(maxAbs)")
    }
}
