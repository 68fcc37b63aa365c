#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress display of bytes done on stderr, redrawn in place, shown only when
/// stderr is a terminal: "quantizing 43%  5.6 of 13.0 GiB  212 MiB/s  ETA 35 s".
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

    /// "1.2 GiB", "340 MiB", "12 KiB".
    static func bytes(_ n: Double) -> String {
        if n >= 1_073_741_824 { return String(format: "%.1f GiB", n / 1_073_741_824) }
        if n >= 1_048_576 { return String(format: "%.0f MiB", n / 1_048_576) }
        return String(format: "%.0f KiB", n / 1024)
    }

    /// "42 s", "5 min 03 s", "1 h 07 min".
    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t < 60 { return "\(t) s" }
        if t < 3600 { return String(format: "%d min %02d s", t / 60, t % 60) }
        return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60)
    }

    var elapsed: Double { Progress.now() - start }

    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        let percent = Int(Double(done) / Double(total) * 100)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let t = elapsed
        let rate = t > 0 ? Double(done) / t : 0
        let eta = done > 0 ? t * Double(total - done) / Double(done) : 0
        let text = "\r\(label) \(percent)%  \(Progress.bytes(Double(done))) of \(Progress.bytes(Double(total)))  \(Progress.bytes(rate))/s  ETA \(Progress.duration(eta))   "
        FileHandleOutput.stderrRaw(text)
    }

    func finish() {
        if enabled && lastPercent >= 0 { FileHandleOutput.stderrRaw("\n") }
    }
}
