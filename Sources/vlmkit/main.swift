import ArgumentParser
import TensorIO
#if canImport(Glibc)
import Glibc
#endif

// Exit codes: 0 success, 1 verification out of tolerance (raised by `verify` itself),
// 2 bad input or usage. Errors are one line on stderr: "vlmkit: error: <file>: <problem>".
TemporaryFiles.cleanUpOnInterrupt()
// A file size limit (ulimit -f) must surface as a write error (EFBIG) we clean up after, not kill us.
signal(SIGXFSZ, SIG_IGN)
do {
    var command = try VLMKitCommand.parseAsRoot()
    try command.run()
} catch {
    let code = VLMKitCommand.exitCode(for: error)
    if code == .success || error is ExitCode || error is CleanExit {
        VLMKitCommand.exit(withError: error)
    }
    if code == .validationFailure {
        // A usage problem: the parser's message and usage, exit 2.
        FileHandleOutput.stderr(VLMKitCommand.fullMessage(for: error))
        exit(2)
    }
    FileHandleOutput.stderr("vlmkit: error: \(String(describing: error))")
    exit(2)
}

enum FileHandleOutput {
    static func stderr(_ s: String) {
        fputs(s.hasSuffix("\n") ? s : s + "\n", Glibc.stderr)
    }
}
