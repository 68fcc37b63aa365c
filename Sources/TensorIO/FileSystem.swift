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

    public static func writeText(_ text: String, to path: String) throws {
        let out = try AtomicFileWriter(path: path)
        try out.write(Array(text.utf8))
        try out.commit()
    }
}
