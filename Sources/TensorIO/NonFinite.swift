import TensorCore

/// NaN or infinity in stored weights or scales: one rule for every command and every kind of
/// model (checkpoint, quantized folder, bundle) — an error naming the tensor and the file unless
/// the user passed --allow-nonfinite.
public struct NonFiniteWeight: Error, CustomStringConvertible, Equatable {
    public let tensor: String
    public let file: String
    public let index: Int
    public let value: Float

    public init(tensor: String, file: String, index: Int, value: Float) {
        self.tensor = tensor
        self.file = file
        self.index = index
        self.value = value
    }

    public var description: String {
        "\(file): tensor '\(tensor)' holds \(value) at element \(index) (pass --allow-nonfinite to accept it)"
    }
}

public enum NonFinite {
    /// The first NaN/±Inf element of raw little-endian values of a float dtype (nil for other
    /// dtypes, or when all are finite), with its value widened to f32.
    public static func first(in raw: UnsafeRawBufferPointer, dtype: DType) -> (index: Int, value: Float)? {
        switch dtype {
        case .f16, .bf16:
            let exponent: UInt16 = dtype == .f16 ? 0x7C00 : 0x7F80
            // 16 values at a time; the block that has one is searched again one by one.
            let mask = SIMD16<UInt16>(repeating: exponent)
            var start = 0
            while start + 16 <= raw.count / 2 {
                let v = raw.loadUnaligned(fromByteOffset: 2 * start, as: SIMD16<UInt16>.self)
                if any((v & mask) .== mask) { break }
                start += 16
            }
            for i in start..<(raw.count / 2) {
                let h = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                if h & exponent == exponent {
                    return (i, dtype == .f16 ? FloatConversion.f16ToF32(h) : FloatConversion.bf16ToF32(h))
                }
            }
        case .f32:
            let mask = SIMD8<UInt32>(repeating: 0x7F80_0000)
            var start = 0
            while start + 8 <= raw.count / 4 {
                let v = raw.loadUnaligned(fromByteOffset: 4 * start, as: SIMD8<UInt32>.self)
                if any((v & mask) .== mask) { break }
                start += 8
            }
            for i in start..<(raw.count / 4) {
                let bits = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                if bits & 0x7F80_0000 == 0x7F80_0000 { return (i, Float(bitPattern: bits)) }
            }
        case .f64:
            for i in 0..<(raw.count / 8) {
                let v = Double(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                if !v.isFinite { return (i, Float(v)) }
            }
        case .f8e5m2:
            for i in 0..<raw.count where raw[i] & 0x7C == 0x7C { return (i, raw[i] & 0x03 == 0 ? .infinity : .nan) }
        case .f8e4m3:
            for i in 0..<raw.count where raw[i] & 0x7F == 0x7F { return (i, .nan) }
        default:
            break
        }
        return nil
    }

    /// Throws `NonFiniteWeight` for the first NaN/Inf unless allowed.
    public static func check(_ raw: UnsafeRawBufferPointer, dtype: DType, tensor: String, file: String, allow: Bool) throws {
        guard !allow, let bad = first(in: raw, dtype: dtype) else { return }
        throw NonFiniteWeight(tensor: tensor, file: file, index: bad.index, value: bad.value)
    }

    /// The same over f32 values already decoded.
    public static func check(_ values: [Float], tensor: String, file: String, allow: Bool) throws {
        guard !allow, let bad = values.firstIndex(where: { !$0.isFinite }) else { return }
        throw NonFiniteWeight(tensor: tensor, file: file, index: bad, value: values[bad])
    }
}
