import ArgumentParser
import Foundation
import ReferenceRuntime
import TensorIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Exit codes: 0 success, 1 verification out of tolerance (raised by `verify` itself),
// 2 bad input or usage. Errors are one line on stderr: "vlmkit: error: <file>: <problem>".
TemporaryFiles.cleanUpOnInterrupt()
// A file size limit (ulimit -f) must surface as a write error (EFBIG) we clean up after, not kill us.
signal(SIGXFSZ, SIG_IGN)
do {
    var command = try VLMKitCommand.parseAsRoot()
    let context = (command as? ComputingCommand)?.compute.context() ?? ComputeContext()
    try context.run { try command.run() }
} catch {
    let code = VLMKitCommand.exitCode(for: error)
    if code == .success || error is ExitCode || error is CleanExit {
        VLMKitCommand.exit(withError: error)
    }
    if code == .validationFailure {
        // A usage problem: the parser's message on one line (the usage is in --help), exit 2.
        let message = VLMKitCommand.message(for: error)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        let text = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
        FileHandleOutput.stderr("vlmkit: error: \(text) (see --help)")
        exit(2)
    }
    FileHandleOutput.stderr("vlmkit: error: \(String(describing: error))")
    exit(2)
}

/// The one place that writes to the standard streams outside `print`.
enum FileHandleOutput {
    /// A line on stderr (unbuffered).
    static func stderr(_ s: String) {
        stderrRaw(s.hasSuffix("\n") ? s : s + "\n")
    }

    /// Text on stderr as is (progress lines that redraw with \r, prompts).
    static func stderrRaw(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }

    /// Streamed text on stdout, flushed at once (print's buffer, then every C stream).
    static func stdoutStreaming(_ s: String) {
        print(s, terminator: "")
        fflush(nil)
    }
}
