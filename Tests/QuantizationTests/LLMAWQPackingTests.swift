import TensorCore
import TensorIO
import TestSupport
import Testing
@testable import Quantization

/// llm-awq real-quant Linears packed by a transcription of llm-awq's pack_intweight / from_linear
/// (golden/llm_awq_pack.py, commit cited there): the unpacked q and z are the packer's inputs exactly;
/// our dequantization differs from TinyChat's q·s + scaled_zero only by the reported rounding.
@Suite struct LLMAWQPackingTests {
    static let golden = try! SafetensorsFile(path: TestFiles.golden("quantized/llm-awq.golden.safetensors"))

    static func values<T>(_ name: String, _ type: T.Type) throws -> [T] {
        Array(try golden.bytes(name).bindMemory(to: T.self))
    }

    @Test(arguments: ["g128", "g64"])
    func unpacksTheInterleavedNibbles(_ tag: String) throws {
        let info = try #require(Self.golden.info("\(tag).expected.q"))
        let (n, k) = (info.shape[0], info.shape[1])
        let groups = try #require(Self.golden.info("\(tag).expected.zeros")).shape[1]
        let padded = try #require(Self.golden.info("\(tag).scales")).shape[0]
        let (m, diff) = try LLMAWQPacking.unpack(qweight: try Self.values("\(tag).qweight", Int16.self), scales: try Self.values("\(tag).scales", UInt16.self),
                                                 scaledZeros: try Self.values("\(tag).scaled_zeros", UInt16.self), rows: n, cols: k,
                                                 group: k / groups, paddedGroups: padded)
        let q = try Self.values("\(tag).expected.q", UInt8.self)
        var wrong = 0
        for r in 0..<n {
            for c in 0..<k where m.value(row: r, col: c, cols: k) != q[r * k + c] { wrong += 1 }
        }
        #expect(wrong == 0, "\(tag): \(wrong) of \(n * k) weights unpacked wrong")
        #expect(m.zeros == (try Self.values("\(tag).expected.zeros", UInt8.self)))
        // The reported difference is the real one against TinyChat's dequantization.
        let expected = try Self.values("\(tag).expected.weight", UInt16.self)
        var worst: Float = 0
        for r in 0..<n {
            for c in 0..<k {
                let ours = FloatConversion.f16ToF32(m.dequantizedF16(row: r, col: c, cols: k, group: k / groups))
                worst = max(worst, abs(ours - FloatConversion.f16ToF32(expected[r * k + c])))
            }
        }
        #expect(worst == diff, "\(tag): measured \(worst), reported \(diff)")
        #expect(diff < 1e-2)
    }
}
