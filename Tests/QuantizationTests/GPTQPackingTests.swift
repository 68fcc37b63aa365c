import TensorCore
import TensorIO
import TestSupport
import Testing
@testable import Quantization

/// GPTQ tensors packed by AutoGPTQ's own `QuantLinear.pack` (golden/gptq_pack.py), in v1 (z − 1) and
/// v2 (z): unpacked into VLMKit's int4, (q − z)·s rounded to f16 equals AutoGPTQ's CPU dequantization
/// bit for bit, and the zero-points are the ones it packed.
@Suite struct GPTQPackingTests {
    static let golden = try! SafetensorsFile(path: TestFiles.golden("quantized/gptq.golden.safetensors"))

    static func values<T>(_ name: String, _ type: T.Type) throws -> [T] {
        Array(try golden.bytes(name).bindMemory(to: T.self))
    }

    @Test(arguments: ["g128", "g64"])
    func v1AndV2UnpackExactly(_ tag: String) throws {
        let info = try #require(Self.golden.info("\(tag).expected.weight"))
        let (n, k) = (info.shape[0], info.shape[1])
        let groups = try #require(Self.golden.info("\(tag).scales")).shape[0]
        let g = k / groups
        let expected = try Self.values("\(tag).expected.weight", UInt16.self)
        for (zeros, format) in [("qzeros", GPTQPacking.ZeroFormat.v1), ("qzeros_v2", .v2)] {
            let m = try GPTQPacking.unpack(qweight: try Self.values("\(tag).qweight", Int32.self), qzeros: try Self.values("\(tag).\(zeros)", Int32.self),
                                           scales: try Self.values("\(tag).scales", UInt16.self), gIdx: try Self.values("\(tag).g_idx", Int32.self),
                                           rows: n, cols: k, group: g, format: format)
            #expect(m.zeros == (try Self.values("\(tag).expected.zeros", UInt8.self)), "\(tag) \(format)")
            var mismatches = 0
            for r in 0..<n {
                for c in 0..<k where m.dequantizedF16(row: r, col: c, cols: k, group: g) != expected[r * k + c] { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(tag) \(format): \(mismatches) of \(n * k) weights differ from AutoGPTQ's dequantization")
        }
    }

    @Test func actOrderAndOverflowingZerosAreRefusedWithTheReason() throws {
        let k = 16, n = 8
        var gIdx = (0..<k).map { Int32($0 / 8) }
        gIdx.swapAt(0, 15)
        #expect { try GPTQPacking.unpack(qweight: .init(repeating: 0, count: 2 * n), qzeros: [0, 0], scales: .init(repeating: 0, count: 2 * n),
                                         gIdx: gIdx, rows: n, cols: k, group: 8, format: .v1) } throws: { "\($0)".contains("act-order") }
        #expect { try GPTQPacking.unpack(qweight: .init(repeating: 0, count: 2 * n), qzeros: [-1, -1], scales: .init(repeating: 0, count: 2 * n),
                                         gIdx: nil, rows: n, cols: k, group: 8, format: .v1) } throws: { "\($0)".contains("zero-point of 16") }
    }
}
