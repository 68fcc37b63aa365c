/// The bytes of one stored tensor, used where they lie: a range of a store's memory map (the
/// store is kept alive with it), or, where the bytes cannot be used in place (a compressed
/// bundle blob, a misaligned tensor, values computed in memory), an owned copy.
///
/// Mapped bytes are file-backed pages: they count in the page cache, which several processes
/// share, not in the process's anonymous memory.
// Unchecked Sendable: the bytes are never written after creation (mapped PROT_READ, or an
// owned buffer filled once in init), and `owner` keeps them alive for the value's lifetime.
public struct StoredBytes: @unchecked Sendable {
    public let raw: UnsafeRawBufferPointer
    private let owner: AnyObject?

    /// A tensor's bytes in place when they start at a multiple of `alignment` (what the element
    /// type needs), else a copy. The store's mapping lives as long as the value.
    public static func inPlace(_ store: any TensorStore, _ name: String, alignment: Int) throws -> StoredBytes {
        let raw = try store.bytes(name)
        if store.keepsBytes(name), Int(bitPattern: raw.baseAddress) % max(alignment, 1) == 0 {
            return StoredBytes(raw: raw, owner: store)
        }
        return StoredBytes(copying: raw)
    }

    /// An owned copy of `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) {
        let box = OwnedBuffer(count: bytes.count)
        if bytes.count > 0 { box.pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        raw = UnsafeRawBufferPointer(start: box.pointer, count: bytes.count)
        owner = box
    }

    /// An owned copy of an array's elements.
    public init<T: BitwiseCopyable>(copying values: [T]) {
        self = values.withUnsafeBytes { StoredBytes(copying: $0) }
    }

    private init(raw: UnsafeRawBufferPointer, owner: AnyObject) {
        self.raw = raw
        self.owner = owner
    }

    public var count: Int { raw.count }

    /// Whether the bytes are the store's own (its mapping) rather than a copy.
    public var isInPlace: Bool { owner is any TensorStore }

    /// The bytes as `T` elements; the storage must be aligned for `T` (it is, by construction).
    public func elements<T: BitwiseCopyable>(_: T.Type) -> UnsafeBufferPointer<T> {
        guard let base = raw.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        precondition(Int(bitPattern: base) % MemoryLayout<T>.alignment == 0)
        return UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: raw.count / MemoryLayout<T>.stride)
    }

    /// Runs body with the bytes, keeping their owner alive.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(raw) }
    }

    /// Runs body with the bytes as `T` elements, keeping their owner alive.
    public func withElements<T: BitwiseCopyable, R>(_: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(elements(T.self)) }
    }

    /// A copy of the bytes as an array of `T`.
    public func array<T: BitwiseCopyable>(_: T.Type) -> [T] {
        withElements(T.self) { Array($0) }
    }
}

/// Heap bytes owned by a StoredBytes, freed with it.
final class OwnedBuffer {
    let pointer: UnsafeMutableRawPointer
    init(count: Int) { pointer = .allocate(byteCount: max(count, 1), alignment: 64) }
    deinit { pointer.deallocate() }
}
