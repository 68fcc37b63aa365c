import ArgumentParser
import Pipeline
import Foundation
import ReferenceRuntime

struct BenchCommand: ParsableCommand, ComputingCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the runner on a model: vision ms per image, prefill and decode tokens/s, against sgemm alone.",
        discussion: """
        Random images and token ids (nothing is checked; tests check correctness). The compute-bound \
        stages are compared with OpenBLAS sgemm running the same matrix-product shapes alone (vision: \
        its Linear layers and attention's per-head Q·Kᵀ and P·V; prefill: the Linear layers): \
        `vision_gflops / (vision_ms / 1000)` against `vision_gflops / (vision_sgemm_ms / 1000)`, and the \
        same for prefill. scripts/bench runs this beside llama.cpp and writes the table in BENCHMARKS.md.

        Example:
          vlmkit synthesize --preset llama-1b -o /tmp/l1b
          vlmkit bench /tmp/l1b --images 1 --prompt-tokens 128 --decode-tokens 32 --threads 2
        """
    )

    @Argument(help: "Checkpoint folder, quantized model folder or bundle.")
    var model: String

    @Option(parsing: .unconditional, help: "Images through vision tower + projector.")
    var images = 1

    @Option(parsing: .unconditional, help: "Prompt length for prefill.")
    var promptTokens = 128

    @Option(parsing: .unconditional, help: "Tokens to decode after the prompt.")
    var decodeTokens = 32

    @OptionGroup var compute: ComputeOptions

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard images >= 0, promptTokens >= 1, decodeTokens >= 0 else {
            throw ValidationError("counts must be non-negative and --prompt-tokens at least 1")
        }
    }

    func run() throws {
        let start = Date()
        let runner = try VLMRunner(weights: try ModelSource.open(model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides))
        let load = Date().timeIntervalSince(start)
        guard promptTokens + decodeTokens <= runner.config.llm.maxPositionEmbeddings else {
            throw ValidationError("prompt + decode tokens exceed max_position_embeddings (\(runner.config.llm.maxPositionEmbeddings))")
        }
        let b = try RuntimeBenchmark.run(runner, images: images, promptTokens: promptTokens, decodeTokens: decodeTokens)
        if json {
            print(try JSONOutput.encode(b))
            return
        }
        func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }
        let quantized = b.activations == "float" ? "float activations (--exact)"
            : "\(b.activations) activations (\(b.integerKernels) integer dots\(b.activations == "auto" ? " for int4 layers" : ""))"
        print("model \(model): load \(f(load, 2)) s, \(b.threads) thread(s), \(b.kernels) kernels, quantized layers: \(quantized)")
        if images > 0 {
            let ours = b.visionGflops / (b.visionMsPerImage / 1000), anchor = b.visionGflops / (b.visionSgemmMs / 1000)
            let tiles = b.tilesPerImage > 1 ? " (\(b.tilesPerImage) tower inputs: its S2 tiles; dynamic S2 at 1920×1080)" : ""
            print("vision   \(f(b.visionMsPerImage)) ms/image\(tiles)  \(f(ours)) GFLOP/s  (sgemm alone \(f(anchor)) GFLOP/s, ratio \(f(ours / anchor, 2)))")
        }
        let ours = b.prefillGflops / b.prefillSeconds, anchor = b.prefillGflops / b.prefillSgemmSeconds
        print("prefill  \(b.promptTokens) tokens  \(f(b.prefillTokensPerSecond)) tok/s  \(f(ours)) GFLOP/s  (sgemm alone \(f(anchor)) GFLOP/s, ratio \(f(ours / anchor, 2)))")
        if decodeTokens > 0 { print("decode   \(b.decodeTokens) tokens  \(f(b.decodeTokensPerSecond, 2)) tok/s") }
        if let anon = b.memory.rssAnonBytes, let file = b.memory.rssFileBytes {
            func mib(_ x: Int) -> String { f(Double(x) / 1048576, 0) + " MiB" }
            print("memory   anonymous \(mib(anon)), mapped files \(mib(file)) (weights used in place)\(b.memory.peakRssBytes.map { ", peak RSS " + mib($0) } ?? "")")
        }
    }
}
