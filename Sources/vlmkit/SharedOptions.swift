import ArgumentParser
import Chat
import Imaging
import ModelGraph
import ReferenceRuntime

/// `--threads`, `--kernels` and `--activations` (`--exact`), shared by every command that
/// computes: together they make the command's `ComputeContext`. Results do not depend on the thread count.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Threads for the computation: 0 = every core; a count above the cores available is lowered to it. Results are bit-identical for any count.",
                               valueName: "n"))
    var threads: Int = 0

    @Option(name: .long,
            help: ArgumentHelp("C kernels: native (AVX2+FMA+F16C when this CPU has them, else portable) or portable (the plain C an ARM device runs; slower here, for checking). VLMKIT_KERNELS=portable in the environment forces portable for native too.",
                               valueName: "path"))
    var kernels: KernelPath = .native

    @Option(name: .long,
            help: ArgumentHelp("What quantized layers multiply (default auto): auto (int4 layers round their activations to int8 per block of 32 and sum integer products, as llama.cpp's Q8_0 activations; int8 layers keep float activations, W8A16), int8 (every quantized layer rounds them) or float (the exact path, the oracle). formats/quantization.md gives the error each adds on the goldens.",
                               valueName: "precision"))
    var activations: ActivationPrecision?

    @Flag(name: .long, help: "Same as --activations float: quantized layers multiply float activations (the exact path).")
    var exact = false

    func validate() throws {
        if exact, let a = activations, a != .float {
            throw ValidationError("--exact means --activations float; it cannot be combined with --activations \(a.rawValue)")
        }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (every core) or a positive count, not \(threads)") }
    }

    /// The context to run with; says on stderr when the thread count was lowered.
    func context() -> ComputeContext {
        let r = Parallel.resolve(threads)
        if let note = r.note { FileHandleOutput.stderr("vlmkit: note: \(note)") }
        return ComputeContext(threads: r.threads, kernels: kernels, activations: exact ? .float : activations ?? .auto)
    }
}

/// A command whose work runs in the context its `--threads`/`--kernels` describe (main.swift
/// scopes it around `run()`).
protocol ComputingCommand {
    var compute: ComputeOptions { get }
}

extension KernelPath: ExpressibleByArgument {}
extension ActivationPrecision: ExpressibleByArgument {}

/// `--allow-nonfinite`, on every command that reads weights to compute or write them.
struct NonFiniteOption: ParsableArguments {
    @Flag(help: "Accept NaN or infinity in weights and quantization scales (otherwise the first one is an error naming the tensor and file).")
    var allowNonfinite = false
}

// Values of the typed options: `--help` lists them and completion offers them.

enum SchemeArgument: String, ExpressibleByArgument, CaseIterable {
    case int8, int4
}

enum MethodArgument: String, ExpressibleByArgument, CaseIterable {
    case rtn, awq
}

enum GGUFTypeArgument: String, ExpressibleByArgument, CaseIterable {
    case f32, f16, q8_0, q4_0, q4_1
}

enum SynthesizeDTypeArgument: String, ExpressibleByArgument, CaseIterable {
    case f32, f16, bf16
}

extension AspectMode: ExpressibleByArgument {}

/// A conversation template by name: a built-in one (ConversationTemplate.all) or
/// "chat_template", the checkpoint's own (resolved once the model is open).
struct TemplateArgument: ExpressibleByArgument {
    let name: String
    init?(argument: String) {
        guard ConversationTemplate.all[argument] != nil || argument == ConversationTemplate.chatTemplateName else { return nil }
        name = argument
    }
    static var allValueStrings: [String] { ConversationTemplate.all.keys.sorted() + [ConversationTemplate.chatTemplateName] }
}

/// A `vlmkit synthesize` preset by name.
struct PresetArgument: ExpressibleByArgument {
    let preset: SyntheticCheckpoint.Preset
    init?(argument: String) {
        guard let p = SyntheticCheckpoint.presets.first(where: { $0.name == argument }) else { return nil }
        preset = p
    }
    static var allValueStrings: [String] { SyntheticCheckpoint.presets.map(\.name) }
}

extension TokenMergeOrder: ExpressibleByArgument {}

/// `--projector-order`, on every command that reads a model's config.
struct ModelOverrideOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Token order of a merging projector (mlp_downsample*): vila1.5 or nvila.",
        discussion: "NVlabs VILA changed DownSampleBlock.flat_square in the NVILA release without renaming the projector; vlmkit decides from the config's fields (inspect says which and why). Set this when a checkpoint was re-saved by other code. quantize and export record it beside the copied configs (vlmkit-overrides.json)."))
    var projectorOrder: TokenMergeOrder?

    var overrides: ConfigOverrides { ConfigOverrides(projectorOrder: projectorOrder) }
}

/// `WIDTHxHEIGHT` in pixels, both from 1 to 65535.
struct ImageSizeArgument: ExpressibleByArgument {
    let width: Int
    let height: Int
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...65535).contains(w), (1...65535).contains(h) else { return nil }
        (width, height) = (w, h)
    }
    static var defaultValueDescription: String { "WIDTHxHEIGHT" }
}
