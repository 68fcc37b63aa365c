/// Exact conversions of 16-bit and 8-bit float encodings to Float32.
///
/// Every F16 and BF16 value is exactly representable in Float32, so these conversions lose
/// nothing. They work on bit patterns, so they need no hardware Float16 support.
public enum FloatConversion {
    /// IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN payloads kept).
    @inline(__always)
    /// f16ToF32 of every bit pattern, for bulk conversion.
    public static let f16Table: [Float] = (0..<65536).map { f16ToF32(UInt16($0)) }

    public static func f16ToF32(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x03FF)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            // Subnormal: value = mant · 2^-24, exact in binary32.
            let magnitude = Float(mant) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exp == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
        }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }

    /// bfloat16 → binary32: the upper half of a binary32, exact.
    @inline(__always)
    public static func bf16ToF32(_ b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// binary32 → binary16 with round-to-nearest-even (as PyTorch's `.half()`).
    public static func f32ToF16(_ f: Float) -> UInt16 {
        let x = f.bitPattern
        let sign = UInt16((x >> 16) & 0x8000)
        let exp = Int((x >> 23) & 0xFF)
        var mant = x & 0x007F_FFFF
        if exp == 0xFF { // Inf or NaN
            return sign | 0x7C00 | (mant != 0 ? UInt16(0x200 | (mant >> 13)) : 0)
        }
        let e = exp - 127 + 15
        if e >= 0x1F { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            mant |= 0x0080_0000
            let shift = UInt32(14 - e)
            var half = mant >> shift
            let rem = mant & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if rem > halfway || (rem == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e << 10) | (mant >> 13)
        let rem = mant & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }

    /// binary32 → bfloat16 with round-to-nearest-even (as PyTorch's `.bfloat16()`); NaN stays NaN.
    public static func f32ToBF16(_ f: Float) -> UInt16 {
        let x = f.bitPattern
        if f.isNaN { return UInt16(x >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((x >> 16) & 1)
        return UInt16((x &+ rounding) >> 16)
    }

    /// OCP FP8 E4M3 (finite-only, NaN = S.1111.111) → binary32.
    public static func f8e4m3ToF32(_ v: UInt8) -> Float {
        let sign: Float = (v & 0x80) != 0 ? -1 : 1
        let exp = Int((v >> 3) & 0x0F)
        let mant = Float(v & 0x07)
        if exp == 0x0F && (v & 0x07) == 0x07 { return .nan }
        if exp == 0 { return sign * mant * 0x1p-9 }
        return sign * (1 + mant / 8) * Float(sign: .plus, exponent: exp - 7, significand: 1)
    }

    /// OCP FP8 E5M2 (IEEE-like) → binary32: the upper byte of a binary16.
    public static func f8e5m2ToF32(_ v: UInt8) -> Float {
        f16ToF32(UInt16(v) << 8)
    }
}
