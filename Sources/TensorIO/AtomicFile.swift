#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that a crash never leaves a partial file under the final name: bytes go to
/// a temporary file in the same folder, which is flushed to disk and then renamed over the target.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private var fd: Int32
    private var finished = false
    public private(set) var bytesWritten = 0

    public init(path: String) throws {
        self.path = path
        let dir = Path.directory(of: path)
        let name = Path.fileName(of: path)
        temporaryPath = Path.join(dir, ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        TemporaryFiles.register(temporaryPath)
    }

    deinit {
        if !finished { abandon() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            #else
            let n = Darwin.write(fd, bytes.baseAddress! + done, bytes.count - done)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                let reason = Self.explain(errno, written: bytesWritten + done)
                abandon()
                throw IOError.cannotWrite(path: path, reason: reason)
            }
            done += n
        }
        bytesWritten += done
    }

    /// Writes `bytes` at `offset` without moving the write position. Several threads may call it
    /// at once for disjoint ranges; on an error nothing is abandoned (the caller decides).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError.cannotWrite(path: path, reason: Self.explain(errno, written: offset + done))
            }
            done += n
        }
    }

    /// Moves the write position to `offset`, at or past what was written (positional writes may
    /// have filled the gap; what they did not reads as zeros).
    public func seek(to offset: Int) throws {
        precondition(offset >= bytesWritten, "seek backwards")
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            let reason = String(cString: strerror(errno))
            abandon()
            throw IOError.cannotWrite(path: path, reason: "seek: \(reason)")
        }
        bytesWritten = offset
    }

    /// Starts the disk writes of bytes already written without waiting for them (Linux's
    /// sync_file_range; elsewhere nothing): the disk works while later bytes are produced, and
    /// the one fsync at `commit` has less left to wait for. Errors surface at that fsync.
    public func startWriteback(offset: Int, count: Int) {
        guard count > 0, let start = Self.syncFileRange else { return }
        _ = start(fd, Int64(offset), Int64(count), 2 /* SYNC_FILE_RANGE_WRITE */)
    }

    /// sync_file_range, looked up once (Swift's Glibc module does not declare it).
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// strerror, plus what it means here for the errors a full disk or a size limit give.
    static func explain(_ code: Int32, written: Int) -> String {
        let base = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return "\(base) after \(written) bytes; the partial output was removed"
        case EFBIG: return "\(base) (a file size limit, e.g. ulimit -f) after \(written) bytes; the partial output was removed"
        default: return base
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Rewrites bytes already written (a header filled in at the end); does not move the write position.
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        precondition(offset + bytes.count <= bytesWritten, "overwrite beyond what was written")
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else {
            let reason = String(cString: strerror(errno))
            abandon()
            throw IOError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Flushes, closes and renames the temporary file to the target path.
    public func commit() throws {
        precondition(!finished, "commit after finish")
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            abandon()
            throw IOError.cannotWrite(path: path, reason: "fsync: \(reason)")
        }
        close(fd)
        fd = -1
        guard TemporaryFiles.commitRename(temporaryPath, to: path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            TemporaryFiles.unregister(temporaryPath)
            finished = true
            throw IOError.cannotWrite(path: path, reason: "rename: \(reason)")
        }
        TemporaryFiles.unregister(temporaryPath)
        finished = true
        let dirfd = open(Path.directory(of: path), O_RDONLY | O_DIRECTORY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// Closes and deletes the temporary file; the target is untouched.
    public func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        if !finished { unlink(temporaryPath) }
        TemporaryFiles.unregister(temporaryPath)
        finished = true
    }
}
