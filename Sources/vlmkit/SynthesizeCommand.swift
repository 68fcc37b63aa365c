import ArgumentParser
import Pipeline
import TensorIO
import Tokenizer
import ModelGraph
import TensorCore

struct SynthesizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesize",
        abstract: "Write a VILA-layout checkpoint with random weights and real shapes (for benchmarks).",
        discussion: """
        Presets:
        \(SyntheticCheckpoint.presets.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n"))

        The same preset, dtype and seed always give byte-identical files.

        Example:
          vlmkit synthesize --preset llama-1b -o /tmp/llama-1b
        """
    )

    @Option(help: "Shape preset (see above).")
    var preset: PresetArgument

    @Option(name: [.short, .customLong("output")], help: "Folder to create.")
    var output: String

    @Option(help: "Weight dtype.")
    var dtype: SynthesizeDTypeArgument = .f16

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("shard-mib"), parsing: .unconditional, help: "Largest LLM shard, in MiB (larger models are split with an index file).")
    var shardMiB: Int = 2048

    @Option(name: .customLong("llm-layers"), parsing: .unconditional,
            help: ArgumentHelp("Decoder layers instead of the preset's (same widths): a 7B-wide model with 2 layers for a quick benchmark.", valueName: "n"))
    var llmLayers: Int?

    func validate() throws {
        guard shardMiB >= 1 else { throw ValidationError("--shard-mib must be 1 or more, not \(shardMiB)") }
        if let n = llmLayers, !(1...1024).contains(n) { throw ValidationError("--llm-layers must be 1…1024, not \(n)") }
    }

    func run() throws {
        let p = llmLayers.map { preset.preset.withLLMLayers($0) } ?? preset.preset
        let dt: DType = dtype == .f32 ? .f32 : dtype == .bf16 ? .bf16 : .f16
        let progress = Progress(label: "writing")
        let config = try SyntheticCheckpoint.write(p, to: output, dtype: dt, seed: seed, shardBytes: shardMiB << 20) {
            progress.update(done: $0, total: $1)
        }
        progress.finish()
        // A byte-level tokenizer of the model's vocabulary size, so that GGUF export and llama.cpp work.
        try FileSystem.writeText(SyntheticTokenizer.json(vocabSize: config.llm.vocabSize).serialized, to: output + "/llm/tokenizer.json")
        try FileSystem.writeText(SyntheticTokenizer.config(vocabSize: config.llm.vocabSize).serialized, to: output + "/llm/tokenizer_config.json")
        print(output)
    }
}
