import Foundation
import TestSupport
import Testing
import TensorCore
@testable import TensorIO

@Suite struct SafetensorsWriterTests {
    @Test func roundTripsTensorsAndMetadata() throws {
        let dir = TestFiles.tempDir("w")
        var w = SafetensorsWriter(metadata: ["format": "pt", "note": "ünï ✓"])
        try w.add("a", tensor: Tensor(shape: [2, 2], data: [1, -2, 0.5, 3]))
        try w.add("h", tensor: Tensor(shape: [3], data: [1, 0.1, -65504]), as: .f16)
        try w.add("b", tensor: Tensor(shape: [2], data: [1, 0.1]), as: .bf16)
        try w.add("ids", int64: [-200, 5], shape: [2])
        try w.write(to: dir + "/out.safetensors")
        let f = try SafetensorsFile(path: dir + "/out.safetensors")
        #expect(f.metadata == ["format": "pt", "note": "ünï ✓"])
        #expect(f.header.dataStart % 8 == 0)
        #expect(try f.float32("a").data == [1, -2, 0.5, 3])
        #expect(try f.float32("h").data == [1, FloatConversion.f16ToF32(FloatConversion.f32ToF16(0.1)), -65504])
        #expect(try f.float32("b").data == [1, FloatConversion.bf16ToF32(FloatConversion.f32ToBF16(0.1))])
        #expect(try f.int64("ids").values == [-200, 5])
        // Nothing but the output is left in the folder (no temporary file).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.safetensors"])
    }

    @Test func rejectsDuplicateAndReservedNamesAndWrongSizes() throws {
        var w = SafetensorsWriter()
        try w.add("a", dtype: .u8, shape: [1], bytes: [1])
        #expect(throws: SafetensorsWriter.WriterError.duplicateName("a")) { try w.add("a", dtype: .u8, shape: [1], bytes: [1]) }
        #expect(throws: SafetensorsWriter.WriterError.reservedName) { try w.add("__metadata__", dtype: .u8, shape: [1], bytes: [1]) }
        var bad = SafetensorsWriter()
        try bad.add("x", dtype: .f32, shape: [2], bytes: [0, 0, 0, 0])
        let dir = TestFiles.tempDir("w")
        #expect(throws: SafetensorsWriter.WriterError.badSize(tensor: "x", expected: 8, produced: 4)) { try bad.write(to: dir + "/bad.safetensors") }
        // A failed write leaves neither the target nor a temporary file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func failedWriteKeepsThePreviousFile() throws {
        let dir = TestFiles.tempDir("w")
        var good = SafetensorsWriter()
        try good.add("x", dtype: .u8, shape: [1], bytes: [7])
        try good.write(to: dir + "/m.safetensors")
        var failing = SafetensorsWriter()
        struct Boom: Error {}
        try failing.add("x", dtype: .u8, shape: [1]) { throw Boom() }
        #expect(throws: Boom.self) { try failing.write(to: dir + "/m.safetensors") }
        #expect(try SafetensorsFile(path: dir + "/m.safetensors").withBytes("x") { $0.first } == 7)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.safetensors"])
    }
}

@Suite struct OutputGuardTests {
    @Test func refusesOutputsLargerThanTheFreeSpace() throws {
        let dir = TestFiles.tempDir("space")
        #expect { try FileSystem.requireSpace(10_000, for: dir + "/out.bin", available: 9_999) } throws: {
            String(describing: $0).contains("needs about 10000 bytes but only 9999 are free")
        }
        try FileSystem.requireSpace(10, for: dir + "/out.bin")   // the real file system has room for 10 bytes
    }

    @Test func refusesToOverwriteAnInput() throws {
        let dir = TestFiles.tempDir("guard")
        TestFiles.write([1], to: dir + "/in.bin")
        #expect(throws: IOError.self) { try FileSystem.requireDistinct(output: dir + "/in.bin", inputs: [dir + "/in.bin"]) }
        #expect(throws: IOError.self) { try FileSystem.requireDistinct(output: dir + "/./in.bin", inputs: [dir + "/in.bin"]) }
        #expect(throws: IOError.self) { try FileSystem.requireDistinct(output: dir + "/sub/x", inputs: [dir]) }
        try FileSystem.requireDistinct(output: dir + "/out.bin", inputs: [dir + "/in.bin"])
    }
}
