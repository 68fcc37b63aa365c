import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporary outputs in progress, so that an interrupted command (Ctrl-C, SIGTERM) removes them
/// before exiting instead of leaving `.name.tmp-*` files behind.
public enum TemporaryFiles {
    private static let lock = NSLock()
    // nonisolated(unsafe): these three are read and written only under `lock` (the signal handler
    // runs on a dispatch queue and takes it too).
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var interrupted = false

    public static func register(_ path: String) {
        lock.lock(); paths.insert(path); lock.unlock()
    }

    public static func unregister(_ path: String) {
        lock.lock(); paths.remove(path); lock.unlock()
    }

    /// Removes every registered temporary file or folder.
    public static func removeAll() {
        lock.lock()
        let all = paths
        paths.removeAll()
        lock.unlock()
        for p in all { try? FileManager.default.removeItem(atPath: p) }
    }

    /// rename(2) of a finished temporary output onto its target, unless an interrupt has begun
    /// cleaning up (then nothing is renamed and EINTR is returned): the lock orders the two, so
    /// a target is either the previous one or complete.
    public static func commitRename(_ from: String, to: String) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if interrupted { errno = EINTR; return -1 }
        return rename(from, to)
    }

    /// Builds a folder under a temporary name beside `target` (`.NAME.partial-PID`, removed on
    /// interrupt) and renames it onto `target` when `body` returns, so a failure or an interrupt
    /// never leaves a partial folder under the target's name.
    public static func assembleFolder<R>(_ target: String, _ body: (_ temp: String) throws -> R) throws -> R {
        let temp = Path.join(Path.directory(of: target), ".\(Path.fileName(of: target)).partial-\(getpid())")
        try? FileManager.default.removeItem(atPath: temp)
        try FileSystem.makeDirectory(temp)
        register(temp)
        defer { unregister(temp) }
        do {
            let result = try body(temp)
            guard commitRename(temp, to: target) == 0 else {
                throw IOError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
            }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }

    /// On SIGINT or SIGTERM: stop committing outputs, remove temporary ones, then end the process
    /// at once with 128 + the signal number. `_exit`, not `exit`: worker threads may be in the
    /// middle of a long computation, and `exit` would run atexit handlers while they go on.
    public static func cleanUpOnInterrupt() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                lock.lock(); interrupted = true; lock.unlock()
                removeAll()
                let message = "vlmkit: interrupted; temporary files removed\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                _exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
