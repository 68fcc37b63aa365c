import TensorIO

/// Reads a GGUF file's header, metadata and tensor table, bounded by the file's size whatever
/// the counts claim; tensor data is read from the memory map on demand.
// Unchecked Sendable: immutable after init; reads a read-only memory map.
public final class GGUFFile: @unchecked Sendable {
    public struct Tensor: Sendable {
        public let name: String
        public let dims: [Int]
        public let type: GGMLType
        public let offset: Int
        public var count: Int { dims.reduce(1, *) }
    }

    public enum ReadError: Error, CustomStringConvertible, Equatable {
        case notGGUF(String)
        case unsupportedVersion(String, UInt32)
        case truncated(String, detail: String)
        case bad(String, detail: String)

        public var description: String {
            switch self {
            case .notGGUF(let f): return "\(f): not a GGUF file (bad magic)"
            case let .unsupportedVersion(f, v): return "\(f): GGUF version \(v) is not supported (reads 2 and 3)"
            case let .truncated(f, d): return "\(f): truncated: \(d)"
            case let .bad(f, d): return "\(f): \(d)"
            }
        }
    }

    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    public let tensors: [Tensor]
    public let dataOffset: Int
    private let mapped: MappedFile

    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        var r = Cursor(bytes: mapped.bytes, file: path)
        guard mapped.size >= 4, Array(mapped.bytes[0..<4]) == GGUFWriter.magic else { throw ReadError.notGGUF(path) }
        r.pos = 4
        version = try r.u32()
        guard version == 2 || version == 3 else { throw ReadError.unsupportedVersion(path, version) }
        let nTensors = try r.u64(), nKV = try r.u64()
        // Every entry takes at least 8 bytes: counts beyond the file are lies.
        guard nTensors < UInt64(mapped.size / 8), nKV < UInt64(mapped.size / 8) else {
            throw ReadError.bad(path, detail: "claims \(nTensors) tensors and \(nKV) keys, more than the file can hold")
        }
        var meta: [String: GGUFValue] = [:]
        for _ in 0..<nKV {
            let key = try r.string()
            guard meta[key] == nil else { throw ReadError.bad(path, detail: "key \(key) appears twice") }
            meta[key] = try r.value()
        }
        metadata = meta
        var ts: [Tensor] = []
        for _ in 0..<nTensors {
            let name = try r.string()
            let nd = try r.u32()
            guard nd >= 1 && nd <= 4 else { throw ReadError.bad(path, detail: "tensor \(name): \(nd) dimensions") }
            var dims: [Int] = []
            for _ in 0..<nd {
                let d = try r.u64()
                guard d < 1 << 40 else { throw ReadError.bad(path, detail: "tensor \(name): dimension \(d) too large") }
                dims.append(Int(d))
            }
            let rawType = try r.u32()
            guard let type = GGMLType(rawValue: rawType) else { throw ReadError.bad(path, detail: "tensor \(name): ggml type \(rawType) not supported") }
            let off = try r.u64()
            guard off < UInt64(mapped.size) else { throw ReadError.bad(path, detail: "tensor \(name): offset \(off) past the end") }
            ts.append(Tensor(name: name, dims: dims, type: type, offset: Int(off)))
        }
        let align = Int(meta["general.alignment"]?.uint32Value ?? 32)
        guard align > 0 && align & (align - 1) == 0 else { throw ReadError.bad(path, detail: "alignment \(align)") }
        dataOffset = (r.pos + align - 1) / align * align
        for t in ts {
            guard t.count % t.type.blockSize == 0 else { throw ReadError.bad(path, detail: "tensor \(t.name): \(t.count) elements is not whole blocks") }
            let end = dataOffset + t.offset + t.type.byteCount(elements: t.count)
            guard end <= mapped.size else { throw ReadError.truncated(path, detail: "tensor \(t.name) ends at \(end), the file has \(mapped.size) bytes") }
        }
        tensors = ts
    }

    /// A tensor's values decoded to f32.
    public func floats(_ name: String) throws -> [Float] {
        guard let t = tensors.first(where: { $0.name == name }) else { throw ReadError.bad(path, detail: "no tensor \(name)") }
        let start = dataOffset + t.offset
        return withExtendedLifetime(mapped) {
            GGMLQuants.decode(mapped.slice(start..<(start + t.type.byteCount(elements: t.count))), as: t.type, count: t.count)
        }
    }

    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let file: String
        var pos = 0

        mutating func take(_ n: Int) throws -> Int {
            guard n >= 0, pos + n <= bytes.count else { throw ReadError.truncated(file, detail: "need \(n) bytes at offset \(pos)") }
            defer { pos += n }
            return pos
        }
        mutating func u32() throws -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
        mutating func u64() throws -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
        mutating func string() throws -> String {
            let n = try u64()
            guard n <= UInt64(bytes.count - pos) else { throw ReadError.truncated(file, detail: "string of \(n) bytes at offset \(pos)") }
            let at = try take(Int(n))
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + Int(n))]), as: UTF8.self)
        }
        mutating func value() throws -> GGUFValue {
            let raw = try u32()
            guard let t = GGUFValueType(rawValue: raw) else { throw ReadError.bad(file, detail: "value type \(raw)") }
            return try value(of: t)
        }
        mutating func value(of t: GGUFValueType) throws -> GGUFValue {
            switch t {
            case .uint8, .int8, .bool: let at = try take(1); return t == .bool ? .bool(bytes[at] != 0) : .other(t)
            case .uint16, .int16: _ = try take(2); return .other(t)
            case .uint32: return .uint32(try u32())
            case .int32: return .int32(Int32(bitPattern: try u32()))
            case .float32: return .float32(Float(bitPattern: try u32()))
            case .uint64: return .uint64(try u64())
            case .int64, .float64: _ = try take(8); return .other(t)
            case .string: return .string(try string())
            case .array:
                let et = try u32()
                guard let elem = GGUFValueType(rawValue: et), elem != .array else { throw ReadError.bad(file, detail: "array of type \(et)") }
                let n = try u64()
                guard n <= UInt64(bytes.count - pos) else { throw ReadError.truncated(file, detail: "array of \(n) elements at offset \(pos)") }
                switch elem {
                case .string: return .arrayString(try (0..<n).map { _ in try string() })
                case .int32: return .arrayInt32(try (0..<n).map { _ in Int32(bitPattern: try u32()) })
                case .float32: return .arrayFloat32(try (0..<n).map { _ in Float(bitPattern: try u32()) })
                default:
                    for _ in 0..<n { _ = try value(of: elem) }
                    return .other(.array)
                }
            }
        }
    }
}
