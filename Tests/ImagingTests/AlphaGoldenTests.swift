import Foundation
import Imaging
import ModelGraph
import TensorIO
import TestSupport
import Testing

/// Images with alpha through each layout's reference pipeline (golden/images.py alpha_main):
/// VILA drops alpha (`Image.open(f).convert("RGB")`), LLaVA-HF's processor composites it onto
/// white (`convert_to_rgb`). Bytes and normalised pixels must be identical.
@Suite struct AlphaGoldenTests {
    static let files = ImageGoldenFile("alpha.golden.safetensors")
    static var golden: SafetensorsFile { files.file }
    static var processors: [String: String] { files.processors }

    static var cases: [String] { golden.tensorNames.filter { $0.hasPrefix("geometry.") }.map { String($0.dropFirst("geometry.".count)) }.sorted() }

    static func preprocessor(_ name: String) throws -> ImagePreprocessor {
        let config = try ImageProcessorConfig(ConfigObject.read(processors[name]! + "/preprocessor_config.json"))
        return ImagePreprocessor(config: config, aspect: .processor, alpha: name.hasPrefix("llava-hf") ? .compositeOnWhite : .drop)
    }

    @Test func coversEveryKindOfAlphaInBothLayouts() {
        #expect(Self.cases.count == 10)
        #expect(Set(Self.cases.map { $0.hasSuffix(".llava-hf-clip56") }) == [true, false])
    }

    @Test(arguments: cases)
    func matchesTheLayoutsReferencePipeline(_ c: String) throws {
        let proc = String(c.split(separator: ".").last!)
        let image = String(c.dropLast(proc.count + 1))
        let decoded = try ImageDecoder.decode(path: TestFiles.golden("images/files/" + image))
        let p = try Self.preprocessor(proc)
        let geometry = try p.geometry(decoded)
        let want = try Self.golden.withBytes("geometry." + c) { Array($0) }
        let mismatches = zip(geometry.pixels, want).filter { $0 != $1 }.count
        #expect(geometry.pixels.count == want.count && mismatches == 0, "\(c): \(mismatches) bytes differ")
        let pixels = try p.pixels(decoded).values
        let expected = try Self.golden.float32("pixel_values." + c)
        #expect(pixels == expected.data, "\(c)")
    }

    /// The two layouts really differ on these images (so the test above tells them apart).
    @Test func layoutsDifferWhereAlphaIsPartial() throws {
        let a = try Self.golden.withBytes("geometry.rgba-50x30.png.vila-clip56") { Array($0) }
        let b = try Self.golden.withBytes("geometry.rgba-50x30.png.llava-hf-clip56") { Array($0) }
        #expect(a != b)
    }
}
