import TensorCore
import TensorIO

/// A graph slot filled from a checkpoint: which tensor, where, and how to load it.
/// Holding a TensorRef costs nothing; `float32()` reads the bytes.
// Unchecked Sendable: immutable; refers to a read-only mapped store through an existential.
public struct TensorRef: @unchecked Sendable {
    /// VLMKit's slot name (`llm.layers.0.attn.q.weight`).
    public let slot: String
    /// The tensor's name in the checkpoint.
    public let source: String
    public let info: TensorInfo
    public let store: any TensorStore

    public var shape: Shape { info.shape }
    public var dtype: DType { info.dtype }

    /// The stored values converted exactly to Float32.
    public func float32() throws -> Tensor { try store.float32(source) }

    /// Calls `body` with the stored bytes, as they are in the file.
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try store.withBytes(source, body)
    }
}

/// A checkpoint tensor that the layout knows and deliberately does not load.
public struct IgnoredTensor: Sendable, Encodable, Equatable {
    public let name: String
    public let file: String
    public let reason: String
    public let bytes: Int
}

/// One table applied to the names under `prefix` in `store`.
public struct LayoutPart: @unchecked Sendable {
    public let store: any TensorStore
    public let prefix: String
    public let table: NameTable

    public init(store: any TensorStore, prefix: String, table: NameTable) {
        self.store = store
        self.prefix = prefix
        self.table = table
    }
}
