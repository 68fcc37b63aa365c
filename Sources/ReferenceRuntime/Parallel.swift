import CKernels
import COpenBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parallel loops over the threads of the computation in progress (`ComputeContext.current`).
///
/// Work is split into pieces chosen from the shapes alone, never from the thread count, so
/// outputs are bit-identical for any count. OpenBLAS is always called single-threaded from our
/// threads (see `Gemm`): its own threading splits products by the thread count and, on some
/// CPUs (measured on AMD Zen 3 with OpenBLAS 0.3.21), rounds differently with 2 threads than with 1.
public enum Parallel {
    /// The thread count of the context in progress.
    public static var threads: Int { ComputeContext.current.threads }

    /// The most threads we run: the machine's online cores, at most `hardLimit`.
    public static let hardLimit = 64

    public static var availableCores: Int {
        max(1, min(hardLimit, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// The count a request turns into (0 = every core) and, when it was lowered, why.
    public static func resolve(_ requested: Int) -> (threads: Int, note: String?) {
        let cores = availableCores
        if requested <= 0 { return (cores, nil) }
        if requested > cores {
            return (cores, "--threads \(requested) is more than the \(cores) core(s) available; using \(cores)")
        }
        return (requested, nil)
    }

    /// Runs body in the current context with `n` threads (at least 1, at most `hardLimit`).
    public static func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        try ComputeContext.current.with(threads: n).run(body)
    }

    /// Runs body(range) over `count` items in contiguous chunks, at most one per thread.
    /// Use only where each item's result does not depend on the chunk it falls in.
    public static func forEachChunk(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(threads, count / max(minimumPerChunk, 1)))
        if chunks == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            let shared = ConcurrentBody(run: body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                shared.run((c * count / chunks)..<((c + 1) * count / chunks))
            }
        }
    }

    /// Runs body(range) over `count` items cut into up to `piecesPerThread` contiguous pieces per
    /// worker (each of at least `minimumPerChunk` items), which at most `threads` workers claim one
    /// after another: a worker that is slowed down (another process on its core) takes fewer
    /// pieces instead of holding up the rest. Use only where each item's result does not depend on
    /// the piece it falls in.
    public static func forEachBalancedChunk(_ count: Int, minimumPerChunk: Int = 1, piecesPerThread: Int = 8,
                                            _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(threads, count / max(minimumPerChunk, 1)))
        if workers == 1 { body(0..<count); return }
        let pieces = max(workers, min(workers * piecesPerThread, count / max(minimumPerChunk, 1)))
        let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        counter.initialize(to: 0)
        defer { counter.deallocate() }
        let next = PieceCounter(pointer: counter)
        withoutActuallyEscaping(body) { body in
            let shared = ConcurrentBody(run: body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let p = next.claim()
                    if p >= pieces { break }
                    shared.run((p * count / pieces)..<((p + 1) * count / pieces))
                }
            }
        }
    }

    /// The shared piece counter. Unchecked: only touched through the atomic C helper.
    struct PieceCounter: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Int>
        func claim() -> Int { vlm_atomic_next(pointer) }
    }

    /// The body of `forEachChunk`, handed to the worker threads. Unchecked: callers write through
    /// pointers into disjoint ranges (that is the contract of `forEachChunk`), which the compiler
    /// cannot see; concurrentPerform returns only when every call has, so nothing outlives the call.
    struct ConcurrentBody: @unchecked Sendable {
        let run: (Range<Int>) -> Void
    }

    /// Runs body(piece) for every piece in 0..<pieces, claimed one at a time by the threads.
    public static func forEachPiece(_ pieces: Int, _ body: (Int) -> Void) {
        forEachBalancedChunk(pieces, piecesPerThread: Int.max / 128) { range in for p in range { body(p) } }
    }

    /// Runs body(piece, scratch) for every piece in 0..<pieces, claimed one at a time by the threads;
    /// `scratch` points to `scratchCount` floats owned by the worker that runs the piece (one buffer
    /// per worker, allocated once per call), for a piece's intermediate values.
    public static func forEachPiece(_ pieces: Int, scratchCount: Int,
                                    _ body: (_ piece: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
        guard pieces > 0 else { return }
        let workers = max(1, min(threads, pieces))
        let buffers = UnsafeMutablePointer<Float>.allocate(capacity: workers * max(scratchCount, 1))
        defer { buffers.deallocate() }
        if workers == 1 {
            for p in 0..<pieces { body(p, buffers) }
            return
        }
        let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        counter.initialize(to: 0)
        defer { counter.deallocate() }
        let next = PieceCounter(pointer: counter), scratch = SharedPointer(pointer: buffers)
        withoutActuallyEscaping(body) { body in
            let shared = ConcurrentPieceBody(run: body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let mine = scratch.pointer + w * max(scratchCount, 1)
                while true {
                    let p = next.claim()
                    if p >= pieces { break }
                    shared.run(p, mine)
                }
            }
        }
    }

    /// A pointer handed to the workers. Unchecked: each worker writes only its own part.
    struct SharedPointer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
    }

    /// The body of `forEachPiece(_:scratchCount:_:)`, as `ConcurrentBody` is for the others.
    struct ConcurrentPieceBody: @unchecked Sendable {
        let run: (Int, UnsafeMutablePointer<Float>) -> Void
    }

    /// OpenBLAS set to one thread once, before its first use.
    static let blasSingleThreaded = BlasThreads()

    final class BlasThreads: Sendable {
        init() { openblas_set_num_threads(1) }
        func touch() {}
    }
}
