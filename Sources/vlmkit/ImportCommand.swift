import ArgumentParser
import Foundation
import Quantization
import ReferenceRuntime
import TensorIO

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert an AutoAWQ, GPTQ or llm-awq int4 checkpoint to a VLMKit quantized model folder.",
        discussion: """
        Reads a checkpoint another tool quantized — in the VILA layout with a quantized llm/, or the \
        LLaVA-HF layout — and writes the same quantized model folder `vlmkit quantize` writes, ready for \
        run, verify and export (bundle, GGUF, AutoAWQ). The format is read from the files \
        (formats/quantization.md, "Importing"):
          llm-awq    a torch.save file in llm/ (VILA1.5-*-AWQ's *-w4-g128-awq-v2.pt),
                     read without running its pickle; group size from the name
          AutoAWQ    quantization_config {quant_method: awq, version: gemm}
          GPTQ       quantization_config {quant_method: gptq, checkpoint_format:
                     gptq (v1) or gptq_v2}

        What is exact: AutoAWQ and GPTQ without act-order keep the tool's q, z and s bit for bit (the \
        report's error is 0). llm-awq keeps q and s and recovers z from its f16 scaled zeros; the report \
        gives how far (q − z)·s is from TinyChat's q·s + scaled_zero. GPTQ act-order layers (g_idx not \
        in runs) and group sizes other than 32, 64, 128 are re-rounded to int4 from the tool's \
        dequantization, and the report gives the added error. The vision tower and projector stay float.

        Examples:
          vlmkit import VILA1.5-3b-AWQ -o vila3b-int4
          vlmkit import VILA1.5-3b-AWQ -o vila3b-int4 \
              --weights VILA1.5-3b-AWQ/llm/vila-1.5-3b-w4-g128-awq-v2.pt
          vlmkit export vila3b-int4 --format gguf -o vila3b.gguf
        """
    )

    @Argument(help: "Quantized checkpoint folder (VILA layout with a quantized llm/, or LLaVA-HF).")
    var model: String

    @Option(name: [.short, .customLong("output")], help: "Folder to create for the VLMKit quantized model.")
    var output: String

    @Option(help: "llm-awq .pt file to read (default: the one .pt in llm/).")
    var weights: String?

    @Option(name: [.customShort("g"), .long], parsing: .unconditional, help: "llm-awq group size when the file name does not say it (-g128-).")
    var groupSize: Int?

    @Option(help: ArgumentHelp("Scheme for Linears that cannot be held as stored (GPTQ act-order, group sizes other than 32, 64, 128): int4 (the checkpoint's size; adds about one more int4 rounding of error) or int8 (twice the size, far less added error).", valueName: "scheme"))
    var reround: SchemeArgument = .int4

    @Option(parsing: .unconditional, help: ArgumentHelp("Threads for re-rounding: 0 = every core.", valueName: "n"))
    var threads: Int = 0

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if let g = groupSize, g <= 0 { throw ValidationError("--group-size must be positive, not \(g)") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (every core) or a positive count, not \(threads)") }
    }

    func run() throws {
        try FileSystem.requireDistinct(output: output, inputs: [model] + (weights.map { [$0] } ?? []))
        let source = try ImportSource.detect(model, weights: weights, groupSize: groupSize)
        var options = CheckpointImporter.Options()
        options.threads = Parallel.resolve(threads).threads
        options.allowNonFinite = nonFinite.allowNonfinite
        options.overrides = modelOverrides.overrides
        options.reroundScheme = reround == .int8 ? .int8 : nil
        let progress = Progress(label: "importing")
        let report: QuantizeReport
        do {
            defer { progress.finish() }
            report = try CheckpointImporter.run(source, to: output, options: options) { progress.update(done: $0, total: $1) }
        }
        print(json ? try JSONOutput.encode(report) : ImportText.render(report))
    }
}

enum ImportText {
    static func render(_ r: QuantizeReport) -> String {
        var out = [QuantizeText.render(r)]
        guard let s = r.imported else { return out[0] }
        out.append("import: \(s.format) from \(s.weights)")
        for n in s.notes { out.append("  \(n)") }
        out.append("  \(s.exact) Linears exact (the tool's q, z, s), \(s.rounded) with z recovered from f16 scaled zeros, \(s.rerounded.count) re-rounded")
        for (reason, layers) in Dictionary(grouping: s.rerounded, by: \.reason).sorted(by: { $0.key < $1.key }) {
            out.append("  re-rounded for \(reason): \(layers.count) (\(layers.prefix(3).map(\.layer).joined(separator: ", "))\(layers.count > 3 ? ", …" : ""))")
        }
        return out.joined(separator: "\n")
    }
}
