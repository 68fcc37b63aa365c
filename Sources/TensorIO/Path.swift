#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small path helpers over POSIX calls (no Foundation needed in the I/O layer).
public enum Path {
    public static func join(_ a: String, _ b: String) -> String {
        if a.isEmpty { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    public static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// A name with no folder part that cannot climb out of its folder.
    public static func isPlainFileName(_ s: String) -> Bool {
        !s.isEmpty && s != "." && s != ".." && !s.contains("/") && !s.contains("\0")
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }
}

/// Reading whole small JSON files (configs, indexes) with a size limit. These files are written
/// by Python's json module, so its `NaN` and `Infinity` are accepted.
public enum JSONFile {
    /// Config and index files larger than this are refused.
    public static let maxSize = 64 << 20

    public static func read(_ path: String) throws -> JSONValue {
        let file = try MappedFile(path: path)
        guard file.size <= maxSize else {
            throw IOError.cannotOpen(path: path, reason: "\(file.size) bytes is too large for a JSON file (limit \(maxSize))")
        }
        return try JSONParser.parse(file.bytes, allowNonFinite: true)
    }
}
