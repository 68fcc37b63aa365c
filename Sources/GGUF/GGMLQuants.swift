import TensorCore

/// ggml's reference block quantizers (ggml-quants.c `quantize_row_*_ref`), written from their
/// definitions; float32 arithmetic as in C, so the bytes match llama.cpp's own quantizer.
public enum GGMLQuants {
    /// Encodes `x` (count a multiple of the block size) as `type`.
    public static func encode(_ x: [Float], as type: GGMLType) -> [UInt8] {
        switch type {
        case .f32: return x.withUnsafeBytes { Array($0) }
        case .f16: return x.map { FloatConversion.f32ToF16($0) }.withUnsafeBytes { Array($0) }
        case .q8_0, .q4_0, .q4_1:
            precondition(x.count % 32 == 0)
            var out = [UInt8]()
            out.reserveCapacity(type.byteCount(elements: x.count))
            for b in stride(from: 0, to: x.count, by: 32) {
                let block = x[b..<(b + 32)]
                switch type {
                case .q8_0: q8_0(block, into: &out)
                case .q4_0: q4_0(block, into: &out)
                default: q4_1(block, into: &out)
                }
            }
            return out
        }
    }

    static func appendF16(_ v: Float, _ out: inout [UInt8]) {
        let h = FloatConversion.f32ToF16(v)
        out.append(UInt8(h & 0xFF))
        out.append(UInt8(h >> 8))
    }

    /// d = absmax/127; q = roundf(x/d) (half away from zero).
    static func q8_0(_ x: ArraySlice<Float>, into out: inout [UInt8]) {
        var amax: Float = 0
        for v in x { amax = max(amax, abs(v)) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        appendF16(d, &out)
        for v in x { out.append(UInt8(bitPattern: Int8((v * id).rounded(.toNearestOrAwayFromZero)))) }
    }

    /// d = (value of largest magnitude, first on ties) / −8; q = min(15, trunc(x/d + 8.5));
    /// element j in the low nibble of byte j, element j+16 in its high nibble.
    static func q4_0(_ x: ArraySlice<Float>, into out: inout [UInt8]) {
        var amax: Float = 0, mx: Float = 0
        for v in x where amax < abs(v) { amax = abs(v); mx = v }
        let d = mx / -8
        let id: Float = d != 0 ? 1 / d : 0
        appendF16(d, &out)
        let s = x.startIndex
        for j in 0..<16 {
            let a = min(15, Int8(truncatingIfNeeded: Int((x[s + j] * id + 8.5).rounded(.towardZero))))
            let b = min(15, Int8(truncatingIfNeeded: Int((x[s + j + 16] * id + 8.5).rounded(.towardZero))))
            out.append(UInt8(a) | (UInt8(b) << 4))
        }
    }

    /// d = (max − min)/15, m = min; q = min(15, trunc((x − min)/d + 0.5)); same nibble order as Q4_0.
    static func q4_1(_ x: ArraySlice<Float>, into out: inout [UInt8]) {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for v in x { lo = min(lo, v); hi = max(hi, v) }
        let d = (hi - lo) / 15
        let id: Float = d != 0 ? 1 / d : 0
        appendF16(d, &out)
        appendF16(lo, &out)
        let s = x.startIndex
        for j in 0..<16 {
            let a = min(15, Int8(truncatingIfNeeded: Int(((x[s + j] - lo) * id + 0.5).rounded(.towardZero))))
            let b = min(15, Int8(truncatingIfNeeded: Int(((x[s + j + 16] - lo) * id + 0.5).rounded(.towardZero))))
            out.append(UInt8(a) | (UInt8(b) << 4))
        }
    }

    /// Decodes `count` elements of `type` (for checks and for reading GGUF back).
    public static func decode(_ bytes: UnsafeRawBufferPointer, as type: GGMLType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        switch type {
        case .f32:
            for i in 0..<count { out[i] = bytes.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        case .f16:
            for i in 0..<count { out[i] = FloatConversion.f16ToF32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .q8_0:
            for b in 0..<(count / 32) {
                let base = b * 34
                let d = FloatConversion.f16ToF32(bytes.loadUnaligned(fromByteOffset: base, as: UInt16.self))
                for j in 0..<32 { out[b * 32 + j] = Float(Int8(bitPattern: bytes[base + 2 + j])) * d }
            }
        case .q4_0, .q4_1:
            let stride = type.blockBytes
            for b in 0..<(count / 32) {
                let base = b * stride
                let d = FloatConversion.f16ToF32(bytes.loadUnaligned(fromByteOffset: base, as: UInt16.self))
                let m = type == .q4_1 ? FloatConversion.f16ToF32(bytes.loadUnaligned(fromByteOffset: base + 2, as: UInt16.self)) : 0
                let qs = base + (type == .q4_1 ? 4 : 2)
                for j in 0..<16 {
                    let byte = bytes[qs + j]
                    if type == .q4_0 {
                        out[b * 32 + j] = Float(Int(byte & 0x0F) - 8) * d
                        out[b * 32 + j + 16] = Float(Int(byte >> 4) - 8) * d
                    } else {
                        out[b * 32 + j] = Float(byte & 0x0F) * d + m
                        out[b * 32 + j + 16] = Float(byte >> 4) * d + m
                    }
                }
            }
        }
        return out
    }
}
