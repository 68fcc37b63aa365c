import Crypto
import Foundation
import TensorCore
import TensorIO

/// Stores tensors' bytes in a bundle as they are (no compression): each blob read once in place
/// from its mapped source, in pieces small enough to stay in cache between the three things done
/// to each piece — the non-finite check, the SHA-256 and the positional write. Blobs are spread
/// over threads, each at an offset fixed beforehand, so the file's bytes do not depend on timing.
enum BlobStore {
    /// Bytes per piece: a multiple of every element size, small enough for the L2 cache.
    static let pieceBytes = 1 << 20

    /// Checks, hashes and writes one blob at `offset` of `out` (not moving its write position).
    static func store(_ bytes: UnsafeRawBufferPointer, _ t: BundleInput.TensorEntry, at offset: Int,
                      out: AtomicFileWriter, allowNonFinite: Bool) throws -> SHA256.Digest {
        var hasher = SHA256()
        let element = max(t.dtype.byteSize, 1)
        var position = 0
        while position < bytes.count {
            let piece = UnsafeRawBufferPointer(rebasing: bytes[position..<min(bytes.count, position + pieceBytes)])
            if !allowNonFinite, let bad = NonFinite.first(in: piece, dtype: t.dtype) {
                throw NonFiniteWeight(tensor: t.originName ?? t.name, file: t.origin, index: position / element + bad.index, value: bad.value)
            }
            hasher.update(bufferPointer: piece)
            try out.write(piece, at: offset + position)
            position += piece.count
        }
        out.startWriteback(offset: offset, count: bytes.count)
        return hasher.finalize()
    }

    /// Where each blob goes: aligned offsets from `start`, in order; and where the last one ends.
    static func layout(_ tensors: [BundleInput.TensorEntry], from start: Int, alignment: Int, file: String) throws -> (offsets: [Int], end: Int) {
        var offsets: [Int] = []
        offsets.reserveCapacity(tensors.count)
        var end = start
        for t in tensors {
            guard let size = t.shape.checkedByteCount(t.dtype) else {
                throw BundleError.badEntry(file: file, name: t.name, detail: "\(t.dtype.rawValue) \(t.shape) has no byte size")
            }
            end = (end + alignment - 1) / alignment * alignment
            offsets.append(end)
            end += size
        }
        return (offsets, end)
    }

    /// Stores every tensor at its offset, blobs claimed in order by `workers` threads. On an error
    /// the threads finish the blobs they hold and claim no more; every blob before the failing one
    /// was claimed and finished, so the error thrown (the lowest-numbered blob's) is the one a
    /// sequential writer would have met first.
    static func storeAll(_ tensors: [BundleInput.TensorEntry], at offsets: [Int], out: AtomicFileWriter, file: String,
                         allowNonFinite: Bool, workers: Int, progress: @escaping (Int, Int) -> Void) throws -> [SHA256.Digest] {
        let queue = ClaimQueue(tensors: tensors, offsets: offsets, out: out, progress: progress)
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, tensors.count))) { _ in
            while let i = queue.claim() {
                let t = queue.tensors[i]
                do {
                    var digest: SHA256.Digest?
                    try t.withBytes { bytes in
                        guard bytes.count == t.shape.checkedByteCount(t.dtype) else {
                            throw BundleError.badEntry(file: file, name: t.name, detail: "\(bytes.count) bytes do not hold \(t.dtype.rawValue) \(t.shape)")
                        }
                        digest = try store(bytes, t, at: queue.offsets[i], out: queue.out, allowNonFinite: allowNonFinite)
                    }
                    queue.finish(i, digest!)
                } catch {
                    queue.fail(i, error)
                }
            }
        }
        return try queue.result()
    }

    /// The shared state of storeAll's threads, under a lock. Unchecked: the tensor entries'
    /// closures read mapped files that nothing writes while the bundle is made, and the threads
    /// use the writer only for positional writes of disjoint ranges.
    final class ClaimQueue: @unchecked Sendable {
        let tensors: [BundleInput.TensorEntry]
        let offsets: [Int]
        let out: AtomicFileWriter
        private let progress: (Int, Int) -> Void
        private let lock = NSLock()
        private var next = 0, done = 0
        private var digests: [SHA256.Digest?]
        private var errors: [(Int, Error)] = []

        init(tensors: [BundleInput.TensorEntry], offsets: [Int], out: AtomicFileWriter, progress: @escaping (Int, Int) -> Void) {
            self.tensors = tensors
            self.offsets = offsets
            self.out = out
            self.progress = progress
            digests = Array(repeating: nil, count: tensors.count)
        }

        func claim() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard errors.isEmpty, next < tensors.count else { return nil }
            next += 1
            return next - 1
        }

        func finish(_ i: Int, _ digest: SHA256.Digest) {
            lock.lock(); defer { lock.unlock() }
            digests[i] = digest
            done += 1
            progress(done, tensors.count)
        }

        func fail(_ i: Int, _ error: Error) {
            lock.lock(); defer { lock.unlock() }
            errors.append((i, error))
        }

        func result() throws -> [SHA256.Digest] {
            if let first = errors.min(by: { $0.0 < $1.0 }) { throw first.1 }
            return digests.map { $0! }
        }
    }
}
