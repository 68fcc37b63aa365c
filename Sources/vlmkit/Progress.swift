#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress display on stderr, shown only when stderr is a terminal.
final class Progress {
    private let label: String
    private let enabled = isatty(2) != 0
    private var lastPercent = -1
    private let start = Progress.now()

    init(label: String) { self.label = label }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        let percent = Int(Double(done) / Double(total) * 100)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let elapsed = Progress.now() - start
        let eta = done > 0 ? elapsed * Double(total - done) / Double(done) : 0
        let mib = Double(done) / 1_048_576
        FileHandleOutput.stderrRaw("\r\(label) \(percent)%  \(Int(mib)) MiB  ETA \(Int(eta)) s   ")
    }

    func finish() {
        if enabled && lastPercent >= 0 { FileHandleOutput.stderrRaw("\n") }
    }
}
