#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's memory as Linux reports it in /proc/self/status: anonymous resident memory
/// (heap, stacks: what a model copied onto the heap would show up in), file-backed resident
/// memory (mapped weights: page cache, shared between processes) and the peak resident set.
/// Nil fields where the system does not report them.
public struct ProcessMemory: Sendable, Encodable, Equatable {
    public var rssAnonBytes: Int?
    public var rssFileBytes: Int?
    public var peakRssBytes: Int?

    /// The figures now.
    public static func current() -> ProcessMemory {
        // /proc files report size 0, so they are read with read(2), not mapped.
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return ProcessMemory() }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Reads `RssAnon:`, `RssFile:` and `VmHWM:` lines ("RssAnon:   1234 kB").
    public static func parse(_ status: String) -> ProcessMemory {
        var m = ProcessMemory()
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kb = Int(parts[1]) else { continue }
            switch parts[0] {
            case "RssAnon:": m.rssAnonBytes = kb * 1024
            case "RssFile:": m.rssFileBytes = kb * 1024
            case "VmHWM:": m.peakRssBytes = kb * 1024
            default: break
            }
        }
        return m
    }
}
