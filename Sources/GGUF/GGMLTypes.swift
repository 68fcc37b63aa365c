/// ggml tensor types VLMKit writes, with their block layouts (bit-exact to ggml's reference
/// quantizers; formats/gguf-export.md).
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8

    public var name: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .q4_0: return "q4_0"
        case .q4_1: return "q4_1"
        case .q8_0: return "q8_0"
        }
    }

    public init?(name: String) {
        guard let t = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = t
    }

    /// Elements per block.
    public var blockSize: Int { self == .f32 || self == .f16 ? 1 : 32 }

    /// Bytes per block: Q4_0 = f16 d + 16 bytes; Q4_1 = f16 d, f16 m + 16; Q8_0 = f16 d + 32 int8.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        }
    }

    /// Bytes for `count` elements (count must be a multiple of the block size).
    public func byteCount(elements count: Int) -> Int { count / blockSize * blockBytes }

    /// The llama.cpp `general.file_type` (LLAMA_FTYPE) of a file whose big matrices use this type.
    public var fileType: UInt32 {
        switch self {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q4_1: return 3
        case .q8_0: return 7
        }
    }
}

/// GGUF metadata value types.
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64
}

/// A metadata value.
public indirect enum GGUFValue: Equatable, Sendable {
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case uint64(UInt64)
    case arrayString([String])
    case arrayInt32([Int32])
    case arrayFloat32([Float])
    /// Any other type, read but not interpreted (type, raw bytes).
    case other(GGUFValueType)

    public var uint32Value: UInt32? { if case .uint32(let v) = self { return v }; return nil }
    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var floatValue: Float? { if case .float32(let v) = self { return v }; return nil }
}
