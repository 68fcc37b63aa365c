import ArgumentParser
import Pipeline
import Chat
import Foundation
import Imaging
import ModelGraph
import ReferenceRuntime
import Verification

struct RunCommand: ParsableCommand, ComputingCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Ask the model about images, or run it on prepared inputs and dump every stage.",
        discussion: """
        With --prompt (or --interactive), images are decoded (PNG, JPEG) and preprocessed as the \
        checkpoint's preprocessor_config.json and image_aspect_ratio say, the question is wrapped in \
        the conversation template (VILA's vicuna_v1, llama_3, hermes-2 or plain; chosen from the model \
        name and tokenizer unless --template is given) and the answer is streamed to stdout. `<image>` \
        in the prompt marks where each image goes; without it the images come first. Greedy unless \
        --temperature > 0. Timing (vision, prefill, decode tokens/s) goes to stderr.

        With --inputs, the model runs on a safetensors file holding `input.token_ids` (I64 [T], −200 \
        per image) and `input.pixel_values` (F32 [N, 3, H, W]) — a golden file is one — and --dump \
        writes `vision_features`, `projected`, `logits` and, with --max-new-tokens, `generated_ids`.

        MODEL is a checkpoint folder (VILA or LLaVA-HF layout), a quantized model folder or a bundle.

        Examples:
          vlmkit run golden/models/vila-clip-linear-f16 --image golden/images/files/scene-97x61.jpg \\
            --prompt "<image> What is in this picture?" --max-new-tokens 16
          vlmkit run golden/models/vila-clip-linear-f16 --interactive
          vlmkit run golden/models/vila-clip-linear-f16 \\
            --inputs golden/cases/vila-clip-linear-f16.golden.safetensors --dump /tmp/out.safetensors --max-new-tokens 6
        """
    )

    @Argument(help: "Checkpoint folder, quantized model folder or bundle.")
    var model: String

    @Option(name: .customLong("image"), help: "An image file (PNG or JPEG); repeat for several.")
    var images: [String] = []

    @Option(help: "The question. `<image>` marks where each image goes.")
    var prompt: String?

    @Flag(help: "Keep a conversation going: read questions from stdin (`/image PATH` attaches an image to the next one; `/exit` or end of input stops).")
    var interactive = false

    @Option(help: "Conversation template (default: chosen from the model's name and tokenizer).")
    var template: TemplateArgument?

    @Option(help: "Override the checkpoint's image_aspect_ratio.")
    var imageAspectRatio: AspectMode?

    @Option(parsing: .unconditional, help: "Tokens to generate at most (default 128 with --prompt, 0 with --inputs).")
    var maxNewTokens: Int?

    @Option(parsing: .unconditional, help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(parsing: .unconditional, help: "Nucleus sampling: keep the most likely tokens up to this probability mass.")
    var topP: Float?

    @Option(parsing: .unconditional, help: "Seed for sampling. The same seed, model and flags give the same text for any --threads on one machine; CPUs with other vector units may differ where two tokens nearly tie (kernels sum in another order).")
    var seed: UInt64?

    @Flag(help: "Print one JSON object (prompt ids, generated ids, text, timing) instead of streaming text.")
    var json = false

    @Option(help: "Safetensors file with input.token_ids and input.pixel_values (instead of --prompt).")
    var inputs: String?

    @Option(help: "With --inputs: where to write every stage's outputs (safetensors).")
    var dump: String?

    @OptionGroup var compute: ComputeOptions

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    func validate() throws {
        if let m = maxNewTokens, m < 0 { throw ValidationError("--max-new-tokens must be 0 or more, not \(m)") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be a finite number, 0 or more, not \(temperature)") }
        if let p = topP, !(p > 0 && p <= 1) { throw ValidationError("--top-p must be in (0, 1], not \(p)") }
        if temperature == 0, topP != nil || seed != nil {
            throw ValidationError("\(topP != nil ? "--top-p" : "--seed") applies to sampling only (give --temperature > 0; 0 is greedy)")
        }
        if inputs != nil {
            guard dump != nil else { throw ValidationError("--inputs needs --dump") }
            guard prompt == nil && images.isEmpty && !interactive else {
                throw ValidationError("--inputs runs prepared inputs; it does not take --prompt, --image or --interactive")
            }
            for (given, flag) in [(template != nil, "--template"), (imageAspectRatio != nil, "--image-aspect-ratio"),
                                  (temperature != 0, "--temperature"), (json, "--json")] where given {
                throw ValidationError("\(flag) does not apply to --inputs (its token ids and pixels are already prepared; the dump is the output)")
            }
        } else {
            guard prompt != nil || interactive else { throw ValidationError("give --prompt (or --interactive, or --inputs with --dump)") }
        }
    }

    func run() throws {
        let source = try ModelSource.open(model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides)
        if let inputs, let dump {
            try runInputs(source, inputs: inputs, dump: dump)
            return
        }
        let assets = try ModelAssets(files: ModelTokenizer.configFiles(model), config: source.config)
        for w in assets.warnings { FileHandleOutput.stderr("vlmkit: warning: " + w) }
        let (chosen, why) = try template.map { (try assets.template(named: $0.name), "--template") }
            ?? assets.chooseTemplate(model: model)
        if !json { FileHandleOutput.stderr("vlmkit: template \(chosen.name) (\(why))") }
        let session = PromptSession(
            assets: assets, runner: try VLMRunner(weights: source), template: chosen,
            sampling: SamplingOptions(temperature: temperature, topP: topP ?? 1, seed: seed ?? 0),
            maxNewTokens: maxNewTokens ?? 128, aspect: imageAspectRatio)
        if interactive {
            try InteractiveChat(session: session, firstImages: images, firstPrompt: prompt).run()
            return
        }
        let result = try session.ask(prompt!, images: images) { text in
            guard !json else { return }
            FileHandleOutput.stdoutStreaming(text)
        }
        if json {
            print(try JSONOutput.encode(result))
        } else {
            print("")
            FileHandleOutput.stderr(result.timingLine)
        }
    }

    func runInputs(_ source: any WeightSource, inputs: String, dump: String) throws {
        let file = try GoldenFile(path: inputs, requireExpected: false)
        let runner = try VLMRunner(weights: source)
        let out = try runner.run(file.inputs, maxNewTokens: maxNewTokens ?? 0)
        try RunDump.write(out, to: dump, metadata: ["format": "vlmkit-run", "model": model, "inputs": inputs])
        var lines = ["wrote \(dump): logits \(out.logits.shape)"]
        if let p = out.projected { lines.append("  \(p.shape[0]) image(s) → \(p.shape[1]) tokens each") }
        if !out.generatedIDs.isEmpty { lines.append("  generated \(out.generatedIDs.map(String.init).joined(separator: " "))") }
        print(lines.joined(separator: "\n"))
    }
}
