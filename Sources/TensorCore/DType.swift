/// Element types found in checkpoints and produced by our own quantizers.
///
/// Raw values are the spellings used by safetensors headers, so a header string maps to a case
/// with `DType(rawValue:)` and back with `rawValue`.
public enum DType: String, CaseIterable, Sendable, Codable, Hashable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case u16 = "U16"
    case i16 = "I16"
    case u32 = "U32"
    case i32 = "I32"
    case u64 = "U64"
    case i64 = "I64"
    case f8e4m3 = "F8_E4M3"
    case f8e5m2 = "F8_E5M2"
    case f16 = "F16"
    case bf16 = "BF16"
    case f32 = "F32"
    case f64 = "F64"

    /// Bytes taken by one element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: return 1
        case .u16, .i16, .f16, .bf16: return 2
        case .u32, .i32, .f32: return 4
        case .u64, .i64, .f64: return 8
        }
    }

    /// True for the floating-point types a model's weights are stored in.
    public var isFloatingPoint: Bool {
        switch self {
        case .f8e4m3, .f8e5m2, .f16, .bf16, .f32, .f64: return true
        default: return false
        }
    }

    /// Lower-case name used in human output (`f16`, `bf16`, …).
    public var displayName: String { rawValue.lowercased() }
}
