import TestSupport
import Foundation
import Testing
import TensorCore
@testable import TensorIO

/// Files exchanged with Python's `safetensors` package. golden/generate.py writes
/// python-written.safetensors; golden/check_interop.py loads vlmkit-written.safetensors.
@Suite struct InteropTests {
    @Test func readsAFileWrittenByPythonSafetensors() throws {
        let f = try SafetensorsFile(path: TestFiles.golden("interop/python-written.safetensors"))
        #expect(f.metadata["format"] == "pt")
        #expect(f.metadata["ünïcode"] == "✓")
        let expected = try JSONFile.read(TestFiles.golden("interop/python-written.expected.json"))
        guard case .object(let values)? = expected["float32_values"] else { Issue.record("bad expected file"); return }
        for (name, list) in values {
            let want = list.arrayValue!.map { Float($0.doubleValue ?? .nan) }
            let got = try f.float32(name).data
            #expect(got.count == want.count, "\(name)")
            for (a, b) in zip(got, want) { #expect(a == b || (a.isNaN && b.isNaN), "\(name): \(a) vs \(b)") }
        }
        #expect(try f.int64("i8").values == [-128, -1, 0, 1, 127])
        #expect(try f.int64("u8").values == [0, 1, 255])
        #expect(try f.int64("i32").values == [-2147483648, 7, 0, 2147483647])
        #expect(try f.int64("i64").values == [-200, 0, 9007199254740993])
        #expect(try f.int64("bool").values == [1, 0, 1])
        #expect(f.info("bool")?.dtype == .bool)
        #expect(f.info("scalar")?.shape.dims == [])
        #expect(try f.float32("scalar").data == [3.5])
        #expect(f.info("empty")?.shape.dims == [0, 4])
    }

    /// The file golden/check_interop.py checks with Python; regenerated here byte for byte so
    /// the committed copy always matches what our writer produces.
    static func vlmkitWritten() throws -> SafetensorsWriter {
        var w = SafetensorsWriter(metadata: ["format": "pt", "writer": "vlmkit", "ünïcode": "✓"])
        try w.add("f32", tensor: Tensor(shape: [2, 3], data: [0, 1, -2.5, 3.25, 1e-8, -65504]))
        try w.add("f16", tensor: Tensor(shape: [2, 3], data: [0, 1, -2.5, 3.25, 1e-8, -65504]), as: .f16)
        try w.add("bf16", tensor: Tensor(shape: [2, 3], data: [0, 1, -2.5, 3.25, 1e-8, -65504]), as: .bf16)
        try w.add("ids", int64: [-200, 1, 9007199254740993], shape: [3])
        try w.add("i8", dtype: .i8, shape: [4], bytes: [0x80, 0xFF, 0, 0x7F])
        try w.add("empty", dtype: .f32, shape: [0, 2], bytes: [])
        return w
    }

    @Test func ourWriterProducesTheCommittedInteropFileExactly() throws {
        let dir = TestFiles.tempDir("interop")
        try Self.vlmkitWritten().write(to: dir + "/v.safetensors")
        let ours = try Data(contentsOf: URL(fileURLWithPath: dir + "/v.safetensors"))
        let committed = try Data(contentsOf: URL(fileURLWithPath: TestFiles.golden("interop/vlmkit-written.safetensors")))
        #expect(ours == committed, "regenerate with VLMKIT_WRITE_INTEROP=1 swift test --filter Interop, then run golden/check_interop.py")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["VLMKIT_WRITE_INTEROP"] == "1"))
    func writeInteropFile() throws {
        try Self.vlmkitWritten().write(to: TestFiles.golden("interop/vlmkit-written.safetensors"))
    }
}
