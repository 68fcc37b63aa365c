import TensorCore
import Testing
@testable import TensorIO

/// NonFinite.first finds the first NaN/±Inf at every position — inside and at the edges of the
/// SIMD blocks it skips, in the tail after the last whole block, at odd byte offsets — and
/// nothing in finite data (largest finite values and subnormals included).
@Suite struct NonFiniteTests {
    static func bytes<T>(_ values: [T], offset: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: offset) + values.withUnsafeBytes { Array($0) }
    }

    @Test func findsTheFirstAtEveryPosition() {
        for count in [1, 7, 8, 15, 16, 17, 40] {
            for bad in 0..<count {
                for offset in [0, 1] {
                    let f32: [Float] = (0..<count).map { $0 == bad ? .nan : $0 == bad + 1 ? .infinity : Float($0) }
                    let raw32 = Self.bytes(f32, offset: offset)
                    let got32 = raw32.withUnsafeBytes { NonFinite.first(in: UnsafeRawBufferPointer(rebasing: $0[offset...]), dtype: .f32) }
                    #expect(got32?.index == bad, "f32 count \(count) bad \(bad) offset \(offset)")
                    for (dtype, badBits, fine) in [(DType.f16, UInt16(0x7C00), UInt16(0x7BFF)), (.bf16, 0xFF80, 0x7F7F)] {
                        let h: [UInt16] = (0..<count).map { $0 == bad ? badBits : $0 % 3 == 0 ? fine : 0x0001 }
                        let raw = Self.bytes(h, offset: offset)
                        let got = raw.withUnsafeBytes { NonFinite.first(in: UnsafeRawBufferPointer(rebasing: $0[offset...]), dtype: dtype) }
                        #expect(got?.index == bad, "\(dtype) count \(count) bad \(bad) offset \(offset)")
                        #expect(got.map { !$0.value.isFinite } == true)
                    }
                }
            }
        }
    }

    @Test func finiteDataHasNone() {
        let h = [UInt16](repeating: 0x7BFF, count: 37) + [0x0001, 0x8001, 0xFBFF]
        #expect(h.withUnsafeBytes { NonFinite.first(in: $0, dtype: .f16) } == nil)
        let f: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude] + [Float](repeating: 1, count: 20)
        #expect(f.withUnsafeBytes { NonFinite.first(in: $0, dtype: .f32) } == nil)
    }
}
