import TensorCore

/// Builds a safetensors file: tensors are declared first (name, dtype, shape and a closure that
/// produces their bytes), then `write(to:)` emits the header and streams each tensor's bytes in
/// turn, so memory holds at most one tensor at a time. The file is written atomically.
///
/// The header is compact JSON with `__metadata__` first and tensors in the order added, padded
/// with spaces to a multiple of 8 bytes so that the data section is 8-byte aligned, as the
/// reference implementation does.
public struct SafetensorsWriter {
    public enum WriterError: Error, CustomStringConvertible, Equatable {
        case duplicateName(String)
        case reservedName
        case badSize(tensor: String, expected: Int, produced: Int)
        case badShape(tensor: String)

        public var description: String {
            switch self {
            case .duplicateName(let n): return "tensor '\(n)' added twice"
            case .reservedName: return "'__metadata__' cannot be a tensor name"
            case let .badSize(t, e, p): return "tensor '\(t)': expected \(e) bytes, producer gave \(p)"
            case .badShape(let t): return "tensor '\(t)': shape overflows"
            }
        }
    }

    private struct Entry {
        let name: String
        let dtype: DType
        let shape: Shape
        let byteCount: Int
        let produce: () throws -> [UInt8]
    }

    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names: Set<String> = []

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Declares a tensor whose bytes are produced on demand while writing.
    public mutating func add(_ name: String, dtype: DType, shape: Shape,
                             bytes produce: @escaping () throws -> [UInt8]) throws {
        guard name != "__metadata__" else { throw WriterError.reservedName }
        guard names.insert(name).inserted else { throw WriterError.duplicateName(name) }
        guard let n = shape.checkedByteCount(dtype) else { throw WriterError.badShape(tensor: name) }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, byteCount: n, produce: produce))
    }

    /// Declares a tensor from bytes already in memory.
    public mutating func add(_ name: String, dtype: DType, shape: Shape, bytes: [UInt8]) throws {
        try add(name, dtype: dtype, shape: shape) { bytes }
    }

    /// Declares a Float32 tensor, stored as `dtype` (f32, f16 or bf16, rounded to nearest even).
    public mutating func add(_ name: String, tensor: Tensor, as dtype: DType = .f32) throws {
        precondition([.f32, .f16, .bf16].contains(dtype), "float tensors are stored as f32, f16 or bf16")
        try add(name, dtype: dtype, shape: tensor.shape) { TensorEncoding.encode(tensor.data, as: dtype) }
    }

    /// Declares an I64 tensor.
    public mutating func add(_ name: String, int64 values: [Int64], shape: Shape) throws {
        try add(name, dtype: .i64, shape: shape) { TensorEncoding.encode(values) }
    }

    /// The header text this writer will emit (before padding).
    public func headerJSON() -> String {
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for e in entries {
            members.append((e.name, .object([
                ("dtype", .string(e.dtype.rawValue)),
                ("shape", .array(e.shape.dims.map { .int(Int64($0)) })),
                ("data_offsets", .array([.int(Int64(offset)), .int(Int64(offset + e.byteCount))])),
            ])))
            offset += e.byteCount
        }
        return JSONValue.object(members).serialized
    }

    /// Writes the file atomically; returns its size in bytes.
    @discardableResult
    public func write(to path: String) throws -> Int {
        var header = Array(headerJSON().utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let out = try AtomicFileWriter(path: path)
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try out.write($0) }
        try out.write(header)
        for e in entries {
            let bytes = try e.produce()
            guard bytes.count == e.byteCount else {
                out.abandon()
                throw WriterError.badSize(tensor: e.name, expected: e.byteCount, produced: bytes.count)
            }
            try out.write(bytes)
        }
        try out.commit()
        return out.bytesWritten
    }
}

/// Encoding Float32 and Int64 values as little-endian stored bytes.
public enum TensorEncoding {
    public static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        switch dtype {
        case .f32:
            return values.withUnsafeBytes { Array($0) }
        case .f16, .bf16:
            // Straight into the byte array: one output buffer, no intermediate [UInt16].
            let bf = dtype == .bf16
            if values.isEmpty { return [] }
            return [UInt8](unsafeUninitializedCapacity: values.count * 2) { out, n in
                let raw = UnsafeMutableRawPointer(out.baseAddress!)
                for (i, v) in values.enumerated() {
                    let h = bf ? FloatConversion.f32ToBF16(v) : FloatConversion.f32ToF16(v)
                    raw.storeBytes(of: h.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
                n = values.count * 2
            }
        default:
            preconditionFailure("encode(_:as:) takes f32, f16 or bf16")
        }
    }

    public static func encode(_ values: [Int64]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }
}
