/// Reading raw little-endian element bytes as Float32 values.
///
/// Checkpoint data is not guaranteed to be aligned (safetensors only aligns when the writer
/// chose to), so every load here is an unaligned load.
public enum TensorConversion {
    public struct UnsupportedConversion: Error, CustomStringConvertible {
        public let dtype: DType
        public var description: String { "cannot convert \(dtype.rawValue) to f32" }
    }

    /// Converts `count` elements of `dtype` at `bytes` into Float32, exactly for every float type
    /// of 32 bits or less and for integers up to 2^24 in magnitude.
    public static func toFloat32(_ bytes: UnsafeRawBufferPointer, dtype: DType) throws -> [Float] {
        let count = bytes.count / dtype.byteSize
        var out = [Float](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { dst in
            try toFloat32(bytes, dtype: dtype, into: dst)
        }
        return out
    }

    /// Same as `toFloat32(_:dtype:)`, writing into a caller-provided buffer of exactly the right size.
    public static func toFloat32(_ src: UnsafeRawBufferPointer, dtype: DType,
                                 into dst: UnsafeMutableBufferPointer<Float>) throws {
        let count = dst.count
        precondition(src.count >= count * dtype.byteSize, "source buffer too small")
        switch dtype {
        case .f32:
            for i in 0..<count { dst[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
        case .f16:
            // A table of all 65536 values (built once from f16ToF32): one load per element.
            FloatConversion.f16Table.withUnsafeBufferPointer { t in
                for i in 0..<count { dst[i] = t[Int(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))] }
            }
        case .bf16:
            for i in 0..<count { dst[i] = FloatConversion.bf16ToF32(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .f64:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
        case .f8e4m3:
            for i in 0..<count { dst[i] = FloatConversion.f8e4m3ToF32(src[i]) }
        case .f8e5m2:
            for i in 0..<count { dst[i] = FloatConversion.f8e5m2ToF32(src[i]) }
        case .i8:
            for i in 0..<count { dst[i] = Float(Int8(bitPattern: src[i])) }
        case .u8, .bool:
            for i in 0..<count { dst[i] = Float(src[i]) }
        case .i16:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)) }
        case .u16:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .i32:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
        case .u32:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        case .i64:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
        case .u64:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        }
    }

    /// Reads integer elements (I8…U64, BOOL) as Int64; float types are rejected.
    public static func toInt64(_ src: UnsafeRawBufferPointer, dtype: DType) throws -> [Int64] {
        let count = src.count / dtype.byteSize
        switch dtype {
        case .i64: return (0..<count).map { src.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
        case .i32: return (0..<count).map { Int64(src.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .u32: return (0..<count).map { Int64(src.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        case .i16: return (0..<count).map { Int64(src.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        case .u16: return (0..<count).map { Int64(src.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .i8: return (0..<count).map { Int64(Int8(bitPattern: src[$0])) }
        case .u8, .bool: return (0..<count).map { Int64(src[$0]) }
        case .u64:
            return try (0..<count).map {
                let v = src.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)
                guard v <= UInt64(Int64.max) else { throw UnsupportedConversion(dtype: dtype) }
                return Int64(v)
            }
        default: throw UnsupportedConversion(dtype: dtype)
        }
    }
}
