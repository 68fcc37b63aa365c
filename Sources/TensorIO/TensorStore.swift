import TensorCore

/// Where one tensor lives: its file, dtype, shape and byte range in that file.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: Shape
    /// Absolute byte range in `file`.
    public let byteRange: Range<Int>
    /// Path of the file that holds the bytes.
    public let file: String

    public var byteCount: Int { byteRange.count }

    public init(name: String, dtype: DType, shape: Shape, byteRange: Range<Int>, file: String) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
        self.file = file
    }
}

/// A read-only, lazily loaded collection of named tensors: one safetensors file or a sharded
/// checkpoint. Listing and describing tensors never touches their bytes.
public protocol TensorStore: AnyObject, Sendable {
    /// What to call this store in messages (a file or index path).
    var location: String { get }
    /// Every tensor name, sorted.
    var tensorNames: [String] { get }
    func info(_ name: String) -> TensorInfo?
    /// The stored bytes of one tensor. The pointer is valid only while the store lives; prefer
    /// `withBytes`, which keeps the store alive for the duration of the closure.
    func bytes(_ name: String) throws -> UnsafeRawBufferPointer
    /// `__metadata__` of the file (of the first shard for sharded checkpoints).
    var metadata: [String: String] { get }
    /// Tells the kernel a tensor's mapped pages are not needed any more (they stay in the page
    /// cache, but leave this process's resident set), so that streaming over a model keeps memory
    /// at one tensor. Reading the tensor again later is still correct. Default: nothing.
    func release(_ name: String)
    /// True when `bytes(name)` points at memory the store keeps, unchanged, for its whole
    /// lifetime (its file mapping, or a decompressed blob it caches), so that the bytes can be
    /// used in place (`StoredBytes.inPlace`). Default: false (callers copy).
    func keepsBytes(_ name: String) -> Bool
}

extension TensorStore {
    public func release(_ name: String) {}
    public func keepsBytes(_ name: String) -> Bool { false }

    /// Loads one tensor converted exactly to Float32.
    public func float32(_ name: String) throws -> Tensor {
        guard let info = info(name) else { throw SafetensorsError.tensorNotFound(file: location, tensor: name) }
        let raw = try bytes(name)
        defer { release(name) }
        do {
            return Tensor(shape: info.shape, data: try TensorConversion.toFloat32(raw, dtype: info.dtype))
        } catch {
            throw SafetensorsError.wrongDType(file: info.file, tensor: name, expected: "a numeric dtype", found: info.dtype.rawValue)
        }
    }

    /// Loads an integer tensor as Int64 values (float dtypes are refused).
    public func int64(_ name: String) throws -> (shape: Shape, values: [Int64]) {
        guard let info = info(name) else { throw SafetensorsError.tensorNotFound(file: location, tensor: name) }
        let raw = try bytes(name)
        do {
            return (info.shape, try TensorConversion.toInt64(raw, dtype: info.dtype))
        } catch {
            throw SafetensorsError.wrongDType(file: info.file, tensor: name, expected: "an integer dtype", found: info.dtype.rawValue)
        }
    }

    public func contains(_ name: String) -> Bool { info(name) != nil }

    /// Calls `body` with the stored bytes of one tensor, keeping the mapping alive meanwhile, then
    /// releases the tensor's pages (`release`): copy out what must outlive the call.
    public func withBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        defer { release(name) }
        return try withExtendedLifetime(self) { try body(try bytes(name)) }
    }
}
