import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `vlmkit` binary (built beside the test bundle) and captures its output and its
/// peak resident memory (wait4's ru_maxrss).
enum CLIRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Peak resident set size of the child, KiB.
        var maxRSSKiB: Int = 0
    }

    static var binary: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        // The test runner may be inside a .xctest bundle folder on some platforms.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("vlmkit").path
    }

    static func run(_ args: [String], stdin: String? = nil) throws -> Result {
        try spawn(binary, [binary] + args, stdin: stdin)
    }

    /// Runs `bash -c SCRIPT vlmkit ARGS…` (the script sees the binary as $0), e.g. to set a ulimit first.
    static func runShell(_ script: String, _ args: [String]) throws -> Result {
        try spawn("/bin/bash", ["bash", "-c", script, binary] + args, stdin: nil)
    }

    struct SpawnError: Error { let code: Int32 }

    /// posix_spawn with stdout/stderr into temporary files (no pipe can fill up). The child's peak
    /// RSS comes from GNU time (`/usr/bin/time -f %M`, Debian's `time`, installed by scripts/install-deps),
    /// which forks the command from its own small process: wait4 on a posix_spawned child reports at
    /// least this test process's own peak, because Linux's exec folds the parent's high-water mark into
    /// a vfork-spawned child's maxrss; without /usr/bin/time, wait4's figure is used.
    static func spawn(_ path: String, _ argv: [String], stdin: String?) throws -> Result {
        let base = NSTemporaryDirectory() + "/vlmkit-cli-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let outPath = base + ".out", errPath = base + ".err", inPath = base + ".in", rssPath = base + ".rss"
        defer { for p in [outPath, errPath, inPath, rssPath] { unlink(p) } }
        let timer = "/usr/bin/time"
        let timed = FileManager.default.isExecutableFile(atPath: timer)
        let program = timed ? timer : path
        let arguments = timed ? [timer, "-f", "%M", "-o", rssPath, path] + argv.dropFirst() : argv
        _ = FileManager.default.createFile(atPath: inPath, contents: Data((stdin ?? "").utf8))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var cArgs = arguments.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw SpawnError(code: rc) }

        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        // time's file ends with the %M line (after "Command exited with non-zero status N" when it did).
        let measured = (try? String(contentsOfFile: rssPath, encoding: .utf8))?
            .split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return Result(status: code, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
                      maxRSSKiB: measured ?? Int(usage.ru_maxrss))
    }
}
