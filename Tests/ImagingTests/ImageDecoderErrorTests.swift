import Foundation
import Imaging
import TestSupport
import Testing

/// Damaged and hostile image files: each is a typed error naming the file, never a crash.
@Suite struct ImageDecoderErrorTests {
    static func bytes(_ name: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: TestFiles.golden("images/files/" + name))!)
    }

    func decode(_ bytes: [UInt8], maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RGBImage {
        try bytes.withUnsafeBytes { try ImageDecoder.decode(bytes: $0, label: "x", maxPixels: maxPixels) }
    }

    @Test func truncatedFilesAreErrors() throws {
        for name in ["wide-80x45.png", "scene-97x61.jpg", "scene-61x97-progressive-444.jpg"] {
            let full = Self.bytes(name)
            for cut in [full.count / 3, full.count / 2, full.count - 20] {
                #expect(throws: ImageError.self, "\(name) cut at \(cut)") { try decode(Array(full.prefix(cut))) }
            }
        }
    }

    @Test func truncatedJPEGSaysTruncated() throws {
        let full = Self.bytes("photo-320x240.jpg")
        #expect(throws: ImageError.truncated(path: "x", format: "JPEG")) { try decode(Array(full.prefix(full.count / 2))) }
    }

    @Test func unknownAndEmptyInputs() throws {
        #expect(throws: ImageError.unknownFormat(path: "x")) { try decode([]) }
        #expect(throws: ImageError.unknownFormat(path: "x")) { try decode(Array("GIF89a....".utf8)) }
        // Videos are named as videos: vlmkit takes no video input.
        #expect(throws: ImageError.video(path: "x", container: "ISO base media: MP4/MOV")) { try decode([0, 0, 0, 0x18] + Array("ftypisom".utf8)) }
        #expect(throws: ImageError.video(path: "x", container: "Matroska/WebM")) { try decode([0x1A, 0x45, 0xDF, 0xA3, 0x9F]) }
        #expect(throws: ImageError.video(path: "x", container: "AVI")) { try decode(Array("RIFF\0\0\0\0AVI LIST".utf8)) }
        let path = TestFiles.tempDir() + "/missing.png"
        #expect(throws: ImageError.self) { try ImageDecoder.decode(path: path) }
    }

    @Test func pixelLimitIsCheckedBeforeDecoding() throws {
        for name in ["wide-80x45.png", "scene-97x61.jpg"] {
            #expect(throws: ImageError.self) { try decode(Self.bytes(name), maxPixels: 1000) }
        }
        // A PNG header claiming 100000 x 100000 pixels, no data: refused on the header alone.
        var png = Self.bytes("tiny-7x5.png")
        png.replaceSubrange(16..<24, with: [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0])
        do {
            _ = try decode(png)
            Issue.record("expected an error")
        } catch let e as ImageError {
            // libpng checks the IHDR CRC first; either answer is a clean refusal.
            #expect("\(e)".contains("x:"))
        }
    }

    @Test func flippedBytesNeverCrash() throws {
        var rng = SplitMix(seed: 7)
        for name in ["palette-40x40.png", "scene-97x61.jpg", "cmyk-40x30.jpg", "rgb16-26x14.png"] {
            let original = Self.bytes(name)
            for _ in 0..<60 {
                var b = original
                for _ in 0..<4 { b[Int(rng.next() % UInt64(b.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
                _ = try? decode(b)  // any result or a typed error; the process must survive
            }
        }
    }

    @Test func decodesEveryModeToRGB() throws {
        let cases: [(String, Int, Int)] = [("gray16-24x18.png", 24, 18), ("rgb16-26x14.png", 26, 14), ("palette-40x40.png", 40, 40),
                                           ("rgba-50x30.png", 50, 30), ("cmyk-40x30.jpg", 40, 30), ("gray-45x45.jpg", 45, 45)]
        for (name, w, h) in cases {
            let image = try decode(Self.bytes(name))
            #expect(image.width == w && image.height == h && image.pixels.count == w * h * 3, "\(name)")
        }
        // 16-bit gray: Pillow clips to 255 (values are 3·index here).
        let g = try decode(Self.bytes("gray16-24x18.png"))
        #expect(g.pixels[3 * 10] == 30 && g.pixels[3 * 100] == 255)
        #expect(try decode(Self.bytes("palette-40x40.png")).transparentColor != nil)
    }
}

/// Found by fuzzing: a long thin image padded to a square (or its short side resized up) must be
/// refused by size before anything is allocated.
@Suite struct PreprocessLimitTests {
    @Test func thinImagesAreRefusedNotAllocated() throws {
        let thin = RGBImage(width: 100_000, height: 1, fill: (1, 2, 3))
        let clip = ImageProcessorConfig(processorType: "CLIPImageProcessor", doResize: true, size: .shortestEdge(336), resample: .bicubic,
                                        doCenterCrop: true, cropSize: (336, 336), doRescale: true, rescaleFactor: 1 / 255,
                                        doNormalize: true, imageMean: ImageProcessorConfig.clipMean, imageStd: ImageProcessorConfig.clipStd)
        #expect(throws: PreprocessError.self) { try ImagePreprocessor(config: clip, aspect: .pad).geometry(thin) }
        #expect(throws: PreprocessError.self) { try ImagePreprocessor(config: clip, aspect: .processor).geometry(thin) }
        // The same image squashed to the crop size first is fine.
        #expect(try ImagePreprocessor(config: clip, aspect: .resize).geometry(thin).width == 336)
    }
}
