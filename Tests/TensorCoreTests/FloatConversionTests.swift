import Testing
@testable import TensorCore

@Suite struct FloatConversionTests {
    @Test func f16ToF32MatchesTheHardwareConversionForAllBitPatterns() {
        for bits in 0...UInt16.max {
            let ours = FloatConversion.f16ToF32(bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                #expect(ours.isNaN)
            } else if ours.bitPattern != reference.bitPattern {
                Issue.record("f16 \(bits): \(ours) vs \(reference)")
                return
            }
        }
    }

    @Test func f32ToF16RoundsToNearestEvenLikeTheHardware() {
        var rng = SystemRandomNumberGenerator()
        let specials: [Float] = [0, -0, 1, 65504, 65519.99, 65520, 1e-8, 2.98e-8, 5.96e-8, 6.1e-5, .infinity, -.infinity, 1.00048828125, 1.000244140625]
        let randoms = (0..<20_000).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
        for x in specials + randoms where !x.isNaN {
            let ours = FloatConversion.f32ToF16(x)
            let reference = Float16(x).bitPattern
            if ours != reference { Issue.record("\(x): \(ours) vs \(reference)"); return }
        }
        #expect(FloatConversion.f16ToF32(FloatConversion.f32ToF16(.nan)).isNaN)
    }

    @Test func bf16IsTheUpperHalfAndRoundsToNearestEven() {
        #expect(FloatConversion.bf16ToF32(0x3F80) == 1)
        #expect(FloatConversion.bf16ToF32(0xC000) == -2)
        #expect(FloatConversion.f32ToBF16(1) == 0x3F80)
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties to even (down).
        #expect(FloatConversion.f32ToBF16(1 + 0x1p-8) == 0x3F80)
        #expect(FloatConversion.f32ToBF16(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(FloatConversion.f32ToBF16(1 + 3 * 0x1p-8) == 0x3F82)
        #expect(FloatConversion.bf16ToF32(FloatConversion.f32ToBF16(.nan)).isNaN)
        #expect(FloatConversion.f32ToBF16(.infinity) == 0x7F80)
    }

    @Test func fp8Decoding() {
        #expect(FloatConversion.f8e4m3ToF32(0x38) == 1)
        #expect(FloatConversion.f8e4m3ToF32(0x7E) == 448)
        #expect(FloatConversion.f8e4m3ToF32(0x7F).isNaN)
        #expect(FloatConversion.f8e4m3ToF32(0x01) == 0x1p-9)
        #expect(FloatConversion.f8e5m2ToF32(0x3C) == 1)
        #expect(FloatConversion.f8e5m2ToF32(0x7C) == .infinity)
    }

    @Test func conversionReadsUnalignedLittleEndianData() throws {
        let bytes: [UInt8] = [0xAA, 0x00, 0x3C, 0x00, 0xC0]  // f16 1.0 and -2.0 at odd offset 1
        let out = try bytes.withUnsafeBytes { try TensorConversion.toFloat32(UnsafeRawBufferPointer(rebasing: $0[1...]), dtype: .f16) }
        #expect(out == [1, -2])
        #expect(throws: TensorConversion.UnsupportedConversion.self) {
            try [UInt8](repeating: 0xFF, count: 8).withUnsafeBytes { try TensorConversion.toInt64($0, dtype: .u64) }
        }
    }
}
