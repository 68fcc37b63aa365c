import Foundation
import Imaging
import ModelGraph
import TensorIO
import TestSupport
import Testing

/// Pixels from Pillow + transformers (golden/images.py) against ours, for every committed image,
/// processor and image_aspect_ratio.
@Suite struct PreprocessGoldenTests {
    static let files = ImageGoldenFile("preprocess.golden.safetensors")
    static var golden: SafetensorsFile { files.file }
    static var processors: [String: String] { files.processors }

    static func preprocessor(_ name: String, _ aspect: String) throws -> ImagePreprocessor {
        let config = try ImageProcessorConfig(ConfigObject.read(processors[name]! + "/preprocessor_config.json"))
        return ImagePreprocessor(config: config, aspect: AspectMode(rawValue: aspect)!)
    }

    static var geometryCases: [String] { golden.tensorNames.filter { $0.hasPrefix("geometry.") }.sorted() }
    static var pixelCases: [String] { golden.tensorNames.filter { $0.hasPrefix("pixel_values.") }.sorted() }

    /// "geometry.scene-97x61.jpg.clip56.pad" → ("scene-97x61.jpg", "clip56", "pad").
    static func parts(_ name: String) -> (image: String, processor: String, aspect: String) {
        var p = name.split(separator: ".").map(String.init)
        let aspect = p.removeLast(), proc = p.removeLast()
        return (p.dropFirst().joined(separator: "."), proc, aspect)
    }

    @Test func coversEveryImageAndMode() {
        #expect(Self.geometryCases.count >= 70)
        #expect(Self.pixelCases.count >= 12)
        let images = Set(Self.geometryCases.map { Self.parts($0).image })
        #expect(images.count == 12)
    }

    @Test(arguments: geometryCases)
    func geometryEqualsPillow(_ name: String) throws {
        let (image, proc, aspect) = Self.parts(name)
        let decoded = try ImageDecoder.decode(path: TestFiles.golden("images/files/" + image))
        let ours = try Self.preprocessor(proc, aspect).geometry(decoded)
        let info = try #require(Self.golden.info(name))
        #expect([ours.height, ours.width, 3] == info.shape.dims, "\(name)")
        let expected = try Array(Self.golden.bytes(name))
        var worst = 0, differing = 0
        for (a, b) in zip(ours.pixels, expected) where a != b {
            differing += 1
            worst = max(worst, abs(Int(a) - Int(b)))
        }
        #expect(differing == 0, "\(name): \(differing) of \(expected.count) bytes differ, by up to \(worst)")
    }

    @Test(arguments: pixelCases)
    func pixelValuesEqualTransformers(_ name: String) throws {
        let (image, proc, aspect) = Self.parts(name)
        let decoded = try ImageDecoder.decode(path: TestFiles.golden("images/files/" + image))
        let (values, h, w) = try Self.preprocessor(proc, aspect).pixels(decoded)
        let expected = try Self.golden.float32(name)
        #expect([3, h, w] == expected.shape.dims)
        let maxAbs = zip(values, expected.data).map { abs($0 - $1) }.max() ?? .infinity
        // Rescale in double, normalise in float, as transformers: bit-identical.
        #expect(maxAbs == 0, "\(name): max abs \(maxAbs)")
    }
}
