import ArgumentParser
import ReferenceRuntime

/// `--threads`, shared by every command that computes. Results do not depend on the count.
struct ThreadsOption: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Threads for the computation: 0 = every core; a count above the cores available is lowered to it. Results are bit-identical for any count.",
                               valueName: "n"))
    var threads: Int = 0

    func validate() throws {
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (every core) or a positive count, not \(threads)") }
    }

    /// The count to run with; says on stderr when the request was lowered.
    func resolved() -> Int {
        let r = Parallel.resolve(threads)
        if let note = r.note { FileHandleOutput.stderr("vlmkit: note: \(note)") }
        return r.threads
    }
}

/// A command whose work runs with `--threads` threads (main.swift sets them around `run()`).
protocol ThreadedCommand {
    var threadOptions: ThreadsOption { get }
}

/// `--allow-nonfinite`, on every command that reads weights to compute or write them.
struct NonFiniteOption: ParsableArguments {
    @Flag(help: "Accept NaN or infinity in weights and quantization scales (otherwise the first one is an error naming the tensor and file).")
    var allowNonfinite = false
}
