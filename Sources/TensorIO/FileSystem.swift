#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creating folders and writing small text files (configs), atomically.
public enum FileSystem {
    public static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && !(errno == EEXIST && Path.isDirectory(path)) {
            throw IOError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Free bytes available to this user on the file system holding `dir`.
    public static func availableBytes(in dir: String) -> Int? {
        var st = statvfs()
        guard statvfs(dir, &st) == 0 else { return nil }
        return Int(st.f_bavail) &* Int(st.f_frsize)
    }

    /// Refuses, before writing, an output of `bytes` that the target's file system cannot hold.
    /// `available` overrides the measured figure (for tests).
    public static func requireSpace(_ bytes: Int, for path: String, available: Int? = nil) throws {
        let dir = Path.directory(of: path)
        guard let free = available ?? availableBytes(in: dir) else { return }
        if bytes > free {
            throw IOError.cannotWrite(path: path, reason: "needs about \(bytes) bytes but only \(free) are free on that file system")
        }
    }

    /// Refuses an output path that is one of the inputs or lies inside an input folder.
    public static func requireDistinct(output: String, inputs: [String]) throws {
        let out = canonical(output)
        for input in inputs {
            let inp = canonical(input)
            if out == inp || out.hasPrefix(inp.hasSuffix("/") ? inp : inp + "/") {
                throw IOError.cannotWrite(path: output, reason: "that would overwrite the input \(input)")
            }
        }
    }

    /// An absolute path with symbolic links of its existing parts resolved.
    static func canonical(_ path: String) -> String {
        let dir = Path.directory(of: path), name = Path.fileName(of: path)
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if let r = realpath(path, &buf) { return String(cString: r) }
        if let r = realpath(dir, &buf) { return Path.join(String(cString: r), name) }
        return path
    }

    public static func writeText(_ text: String, to path: String) throws {
        let out = try AtomicFileWriter(path: path)
        try out.write(Array(text.utf8))
        try out.commit()
    }
}
