import ArgumentParser
import Pipeline
import Foundation
import ModelGraph
import Quantization
import ReferenceRuntime
import TensorIO
import Tokenizer

struct QuantizeCommand: ParsableCommand, ComputingCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a checkpoint's Linear layers to int8 or int4 (RTN or AWQ).",
        discussion: """
        Schemes (formats/quantization.md):
          int8              symmetric, one float16 scale per output row (W8A16)
          int4 -g 32|64|128 groups along the input dimension, float16 scales; asymmetric with a \
        4-bit zero-point (AutoAWQ's convention) unless --symmetric

        By default the language model's attention and MLP projections are quantized and the \
        vision tower, projector, embeddings and lm_head stay float16 (bf16 stays bf16). Rules \
        override that, in order, later rules winning; PATTERN is a glob over slot names such as \
        llm.layers.3.mlp.down (see formats/checkpoint-layouts.md):
          --keep 'llm.layers.0.*'                      keep layer 0 float
          --scheme-for 'llm.layers.*.mlp.*=int8'       MLPs in int8, the rest as --scheme
          --scheme-for 'vision.*=int8'                 quantize the vision tower too

        AWQ (--method awq) searches per-channel scales on calibration activations (and a \
        clipping range) before rounding; it needs --calibration: a text file of whitespace-separated \
        token ids, or a safetensors file with input.token_ids (and input.pixel_values: then the \
        activations come from the whole VLM, images included), or any other text file, which is \
        tokenized with the model's own tokenizer (a file of whitespace-separated integers is read as \
        token ids).

        Examples:
          vlmkit quantize golden/models/vila-clip-linear-f16 -o /tmp/q8 --scheme int8
          vlmkit quantize MODEL -o MODEL-awq --scheme int4 --group-size 128 --method awq --calibration ids.txt
        """
    )

    @Argument(help: "Checkpoint folder (VILA or LLaVA-HF layout).")
    var model: String

    @Option(name: [.short, .customLong("output")], help: "Folder to create for the quantized model.")
    var output: String

    @Option(help: "Storage of the quantized Linear layers: int8 (per output channel) or int4 (group-wise).")
    var scheme: SchemeArgument

    @Option(name: [.customShort("g"), .long], parsing: .unconditional, help: "int4 group size: 32, 64 or 128 (default 128).")
    var groupSize: Int?

    @Flag(help: "int4 with symmetric groups (no zero-point).")
    var symmetric = false

    @Option(help: "Rounding: rtn (round to nearest) or awq (activation-aware scales, needs --calibration).")
    var method: MethodArgument = .rtn

    @Option(help: "Calibration data for AWQ (token-id text file or safetensors with input.token_ids).")
    var calibration: String?

    @Option(parsing: .unconditional, help: "Calibration tokens to use (AWQ; default 8192).")
    var calibrationTokens: Int?

    @Option(parsing: .unconditional, help: "Calibration sequence length (AWQ; default 512, or the model's context if shorter).")
    var sequenceLength: Int?

    @Option(parsing: .singleValue, help: "Keep Linear layers matching this glob float (repeatable).")
    var keep: [String] = []

    @Option(name: .customLong("scheme-for"), parsing: .singleValue, help: "PATTERN=SCHEME rule (repeatable), e.g. 'llm.layers.*.mlp.*=int8'.")
    var schemeFor: [String] = []

    @Flag(help: "Continue an interrupted AWQ run from its last finished layer (its run folder is OUTPUT.awq-run). Refused, with the reason, when the model, recipe, AWQ settings or calibration differ from the interrupted run's.")
    var resume = false

    @OptionGroup var compute: ComputeOptions

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if let g = groupSize, !QuantScheme.supportedGroupSizes.contains(g) {
            throw ValidationError("--group-size must be 32, 64 or 128, not \(g)")
        }
        if scheme == .int8 && (groupSize != nil || symmetric) {
            throw ValidationError("\(groupSize != nil ? "--group-size" : "--symmetric") applies to --scheme int4 only (int8 has one scale per output row)")
        }
        if method == .rtn {
            for (given, flag) in [(calibration != nil, "--calibration"), (calibrationTokens != nil, "--calibration-tokens"),
                                  (sequenceLength != nil, "--sequence-length")] where given {
                throw ValidationError("\(flag) applies to --method awq only (RTN uses no calibration data)")
            }
        }
        if method == .awq && nonFinite.allowNonfinite {
            throw ValidationError("--allow-nonfinite does not apply to --method awq: the scale search needs finite weights")
        }
        if method == .awq && calibration == nil { throw ValidationError("--method awq needs --calibration FILE") }
        if resume && method != .awq { throw ValidationError("--resume applies to --method awq only (an RTN run keeps no state; rerun it)") }
        guard (calibrationTokens ?? 1) > 0, (sequenceLength ?? 1) > 0 else {
            throw ValidationError("--calibration-tokens and --sequence-length must be positive")
        }
    }

    func run() throws {
        try FileSystem.requireDistinct(output: output, inputs: [model] + (calibration.map { [$0] } ?? []))
        let n = Parallel.threads
        let base: QuantScheme = scheme == .int8 ? .int8 : .int4(groupSize: groupSize ?? 128, symmetric: symmetric)
        var recipe = QuantRecipe(defaultScheme: base)
        for k in keep { recipe.keep(k) }
        for r in schemeFor { try recipe.addSchemeRule(r) }
        let graph = try ModelSource.loadGraph(model, overrides: modelOverrides.overrides)
        var options = ModelQuantizer.Options(recipe: recipe)
        options.method = method.rawValue
        options.threads = n
        options.allowNonFinite = nonFinite.allowNonfinite
        let context = graph.config.llm.maxPositionEmbeddings
        let sequenceLength = self.sequenceLength ?? min(512, context), calibrationTokens = self.calibrationTokens ?? 8192
        if method == .awq && sequenceLength > context {
            throw ValidationError("--sequence-length \(sequenceLength) is beyond the model's context of \(context) positions (max_position_embeddings)")
        }
        let report: QuantizeReport
        if method == .awq {
            let data = try CalibrationInput.load(calibration!, model: model, layout: graph.config.layout, tokens: calibrationTokens,
                                                 sequenceLength: sequenceLength, vocab: graph.config.llm.vocabSize)
            let display = AWQProgress()
            defer { display.finish() }
            report = try AWQRun.quantize(graph, calibration: data, to: output, options: options, resume: resume) { display.handle($0) }
        } else {
            let progress = Progress(label: "quantizing")
            defer { progress.finish() }
            report = try ModelQuantizer.quantize(graph, to: output, options: options) { progress.update(done: $0, total: $1) }
        }
        print(json ? try JSONOutput.encode(report) : QuantizeText.render(report))
    }
}

enum QuantizeText {
    static func render(_ r: QuantizeReport) -> String {
        var out = ["quantized \(r.source) → \(r.output) (\(r.method); \(r.recipe))", ""]
        let quantized = r.tensors.filter { $0.stats != nil }
        let shown = quantized.count <= 20 ? quantized : Array(quantized.sorted { $0.stats!.nmse > $1.stats!.nmse }.prefix(10))
        if shown.count < quantized.count { out.append("the 10 tensors with the largest NMSE (--json lists all):") }
        out.append(InspectText.pad("tensor", 36) + InspectText.pad("storage", 12) + InspectText.pad("nmse", 12, right: true)
                   + InspectText.pad("max abs err", 13, right: true))
        for t in shown {
            let s = t.stats!
            out.append(InspectText.pad(t.slot, 36) + InspectText.pad(t.storage, 12)
                       + InspectText.pad(String(format: "%.3e", s.nmse), 12, right: true)
                       + InspectText.pad(String(format: "%.3e", s.maxAbsError), 13, right: true))
        }
        let kept = r.tensors.filter { $0.stats == nil }
        out.append("")
        let meanNMSE = quantized.isEmpty ? 0 : quantized.reduce(0) { $0 + $1.stats!.nmse } / Double(quantized.count)
        out.append("\(r.quantizedCount) tensors quantized (mean NMSE \(String(format: "%.3e", meanNMSE))), \(kept.count) kept float")
        if let a = r.awq {
            out.append("awq: \(a.calibrationTokens) calibration tokens, \(a.choices.count) scale searches, \(a.clippedTensors) clipped tensors, \(String(format: "%.1f", a.seconds)) s")
        }
        let ratio = Double(r.storedBytes) / Double(max(1, r.sourceBytes))
        out.append("size: \(InspectText.bytes(r.sourceBytes)) → \(InspectText.bytes(r.storedBytes)) (\(String(format: "%.1f", ratio * 100))%)")
        return out.joined(separator: "\n")
    }
}

/// AWQ calibration from a file: a safetensors prompt (images included), token ids, or plain text
/// tokenized with the model's tokenizer.
