import TensorCore
import TensorIO

/// Writes a GGUF v3 file as a small state machine: metadata and tensor descriptions are
/// collected first (`add`), then `write` emits header, key/values and tensor infos, and streams
/// each tensor's data (produced on demand, one at a time) at its aligned offset. Atomic.
public struct GGUFWriter {
    public static let magic: [UInt8] = Array("GGUF".utf8)
    public static let version: UInt32 = 3
    public static let alignment = 32

    public struct TensorSpec {
        public let name: String
        /// ggml order: ne[0] is the fastest-varying (PyTorch's last) dimension.
        public let dims: [Int]
        public let type: GGMLType
        public let data: () throws -> [UInt8]

        public init(name: String, dims: [Int], type: GGMLType, data: @escaping () throws -> [UInt8]) {
            self.name = name
            self.dims = dims
            self.type = type
            self.data = data
        }
    }

    public enum WriterError: Error, CustomStringConvertible {
        case duplicateKey(String)
        case duplicateTensor(String)
        case wrongSize(tensor: String, expected: Int, produced: Int)

        public var description: String {
            switch self {
            case .duplicateKey(let k): return "GGUF key \(k) set twice"
            case .duplicateTensor(let t): return "GGUF tensor \(t) added twice"
            case let .wrongSize(t, e, p): return "GGUF tensor \(t): expected \(e) bytes, produced \(p)"
            }
        }
    }

    private var kv: [(String, GGUFValue)] = []
    private var tensors: [TensorSpec] = []

    public init() {}

    public var tensorCount: Int { tensors.count }

    public mutating func set(_ key: String, _ value: GGUFValue) throws {
        guard !kv.contains(where: { $0.0 == key }) else { throw WriterError.duplicateKey(key) }
        kv.append((key, value))
    }

    public mutating func add(_ spec: TensorSpec) throws {
        guard !tensors.contains(where: { $0.name == spec.name }) else { throw WriterError.duplicateTensor(spec.name) }
        tensors.append(spec)
    }

    @discardableResult
    public func write(to path: String, progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        var head = Self.magic
        Self.put(Self.version, &head)
        Self.put(UInt64(tensors.count), &head)
        Self.put(UInt64(kv.count + 1), &head)
        Self.putString("general.alignment", &head)
        Self.put(GGUFValueType.uint32.rawValue, &head)
        Self.put(UInt32(Self.alignment), &head)
        for (k, v) in kv {
            Self.putString(k, &head)
            Self.putValue(v, &head)
        }
        var offset = 0
        var sizes: [Int] = []
        for t in tensors {
            Self.putString(t.name, &head)
            Self.put(UInt32(t.dims.count), &head)
            for d in t.dims { Self.put(UInt64(d), &head) }
            Self.put(t.type.rawValue, &head)
            Self.put(UInt64(offset), &head)
            let n = t.type.byteCount(elements: t.dims.reduce(1, *))
            sizes.append(n)
            offset += (n + Self.alignment - 1) / Self.alignment * Self.alignment
        }
        while head.count % Self.alignment != 0 { head.append(0) }
        let out = try AtomicFileWriter(path: path)
        try out.write(head)
        for (i, t) in tensors.enumerated() {
            let data = try t.data()
            guard data.count == sizes[i] else {
                out.abandon()
                throw WriterError.wrongSize(tensor: t.name, expected: sizes[i], produced: data.count)
            }
            try out.write(data)
            let pad = (Self.alignment - data.count % Self.alignment) % Self.alignment
            if pad > 0 { try out.write([UInt8](repeating: 0, count: pad)) }
            progress(i + 1, tensors.count)
        }
        try out.commit()
        return out.bytesWritten
    }

    static func put<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out += $0 }
    }

    static func putString(_ s: String, _ out: inout [UInt8]) {
        let b = Array(s.utf8)
        put(UInt64(b.count), &out)
        out += b
    }

    static func putValue(_ v: GGUFValue, _ out: inout [UInt8]) {
        switch v {
        case .uint32(let x): put(GGUFValueType.uint32.rawValue, &out); put(x, &out)
        case .int32(let x): put(GGUFValueType.int32.rawValue, &out); put(x, &out)
        case .float32(let x): put(GGUFValueType.float32.rawValue, &out); put(x.bitPattern, &out)
        case .bool(let x): put(GGUFValueType.bool.rawValue, &out); out.append(x ? 1 : 0)
        case .string(let x): put(GGUFValueType.string.rawValue, &out); putString(x, &out)
        case .uint64(let x): put(GGUFValueType.uint64.rawValue, &out); put(x, &out)
        case .arrayString(let xs):
            put(GGUFValueType.array.rawValue, &out); put(GGUFValueType.string.rawValue, &out); put(UInt64(xs.count), &out)
            for x in xs { putString(x, &out) }
        case .arrayInt32(let xs):
            put(GGUFValueType.array.rawValue, &out); put(GGUFValueType.int32.rawValue, &out); put(UInt64(xs.count), &out)
            for x in xs { put(x, &out) }
        case .arrayFloat32(let xs):
            put(GGUFValueType.array.rawValue, &out); put(GGUFValueType.float32.rawValue, &out); put(UInt64(xs.count), &out)
            for x in xs { put(x.bitPattern, &out) }
        case .other: preconditionFailure("cannot write an uninterpreted value")
        }
    }
}
