import TensorCore
import TensorIO
import TestSupport
import Testing
@testable import Quantization

/// AutoAWQ GEMM tensors packed by AutoAWQ's own `WQLinear_GEMM.from_linear` (golden/autoawq_pack.py):
/// unpacked into VLMKit's int4 layout, (q − z)·s rounded to f16 equals AutoAWQ's `dequantize_gemm`
/// bit for bit, the zero-points are the ones it was given, and packing back gives its bytes again.
@Suite struct AutoAWQPackingTests {
    static let golden = try! SafetensorsFile(path: TestFiles.golden("quantized/autoawq-gemm.golden.safetensors"))

    static func values<T>(_ name: String, _ type: T.Type) throws -> [T] {
        let b = try golden.bytes(name)
        return Array(b.bindMemory(to: T.self))
    }

    @Test(arguments: ["g128", "g64", "g32"])
    func unpacksExactlyAndPacksBack(_ tag: String) throws {
        let info = try #require(Self.golden.info("\(tag).expected.weight"))
        let (n, k) = (info.shape[0], info.shape[1])
        let groups = try #require(Self.golden.info("\(tag).scales")).shape[0]
        let g = k / groups
        let qw = try Self.values("\(tag).qweight", Int32.self), qz = try Self.values("\(tag).qzeros", Int32.self)
        let s = try Self.values("\(tag).scales", UInt16.self)
        let m = try AutoAWQPacking.unpack(qweight: qw, qzeros: qz, scales: s, rows: n, cols: k, group: g)
        #expect(m.zeros == (try Self.values("\(tag).expected.zeros", UInt8.self)))
        let expected = try Self.values("\(tag).expected.weight", UInt16.self)
        var mismatches = 0
        for r in 0..<n {
            for c in 0..<k where m.dequantizedF16(row: r, col: c, cols: k, group: g) != expected[r * k + c] { mismatches += 1 }
        }
        #expect(mismatches == 0, "\(tag): \(mismatches) of \(n * k) weights differ from dequantize_gemm")
        let back = try AutoAWQPacking.pack(m, rows: n, cols: k, group: g)
        #expect(back.qweight == qw && back.qzeros == qz && back.scales == s)
    }

    @Test func badShapesAreRefused() {
        #expect(throws: AutoAWQPacking.ShapeError.self) {
            try AutoAWQPacking.unpack(qweight: [0], qzeros: [0], scales: [0], rows: 12, cols: 128, group: 128)
        }
        #expect(throws: AutoAWQPacking.ShapeError.self) {
            try AutoAWQPacking.unpack(qweight: [0], qzeros: [0], scales: [0], rows: 8, cols: 128, group: 128)
        }
    }
}
