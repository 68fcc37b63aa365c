import ArgumentParser
import ModelGraph
import ReferenceRuntime
import Verification

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the reference CPU forward pass on prepared inputs and dump every stage.",
        discussion: """
        INPUTS is a safetensors file with `input.token_ids` (I64 [T]; −200 marks where each image's \
        tokens go) and, when the prompt has images, `input.pixel_values` (F32 [N, 3, H, W], already \
        preprocessed). A golden file is a valid INPUTS file. The dump holds `vision_features` \
        [N, P, Dv], `projected` [N, P', D], `logits` [L, V] for every position of the spliced prompt, \
        and with --max-new-tokens G > 0 `generated_ids` (I64 [G], greedy, through the KV cache). \
        Computation is float32 from the stored weights, converted exactly.

        Example:
          vlmkit run golden/models/vila-clip-linear-f16 \\
            --inputs golden/cases/vila-clip-linear-f16.golden.safetensors --dump /tmp/out.safetensors --max-new-tokens 6
        """
    )

    @Argument(help: "Checkpoint folder (VILA or LLaVA-HF layout) or quantized model folder.")
    var model: String

    @Option(help: "Safetensors file with input.token_ids and input.pixel_values.")
    var inputs: String

    @Option(help: "Where to write the outputs (safetensors).")
    var dump: String

    @Option(help: "Greedy tokens to generate after the prompt.")
    var maxNewTokens: Int = 0

    @Option(help: "Threads for matrix products (results do not depend on it).")
    var threads: Int = 0

    @Flag(help: "Run even when weights hold NaN or infinity (otherwise an error naming the tensor).")
    var allowNonfinite = false

    func validate() throws {
        guard maxNewTokens >= 0 else { throw ValidationError("--max-new-tokens must be 0 or more") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (all cores) or more") }
    }

    func run() throws {
        ModelSource.allowNonFinite = allowNonfinite
        Threads.apply(threads)
        let source = try ModelSource.open(model)
        let file = try GoldenFile(path: inputs, requireExpected: false)
        let runner = try VLMRunner(weights: source)
        let out = try runner.run(file.inputs, maxNewTokens: maxNewTokens)
        try RunDump.write(out, to: dump, metadata: ["format": "vlmkit-run", "model": model, "inputs": inputs])
        var lines = ["wrote \(dump): logits \(out.logits.shape)"]
        if let p = out.projected { lines.append("  \(p.shape[0]) image(s) → \(p.shape[1]) tokens each") }
        if !out.generatedIDs.isEmpty { lines.append("  generated \(out.generatedIDs.map(String.init).joined(separator: " "))") }
        print(lines.joined(separator: "\n"))
    }
}

enum Threads {
    /// 0 means every core.
    static func apply(_ n: Int) {
        VLMRunner.setThreads(n == 0 ? System.coreCount : n)
    }
}
