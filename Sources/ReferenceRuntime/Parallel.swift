import COpenBLAS
import Dispatch

/// The thread count for our own kernels and OpenBLAS, set once by the command line (--threads).
/// Work is split into fixed chunks whose results do not depend on which thread runs them, so
/// outputs are bit-identical for any thread count.
public enum Parallel {
    nonisolated(unsafe) public private(set) static var threads = 1

    public static func setThreads(_ n: Int) {
        threads = max(1, n)
        openblas_set_num_threads(Int32(threads))
    }

    /// Runs body(range) over `count` items in `threads` contiguous chunks.
    public static func forEachChunk(_ count: Int, minimumPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(threads, count / max(minimumPerChunk, 1)))
        if chunks == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body((c * count / chunks)..<((c + 1) * count / chunks))
        }
    }
}
