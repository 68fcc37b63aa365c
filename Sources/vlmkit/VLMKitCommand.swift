import ArgumentParser
import Pipeline

struct VLMKitCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "vlmkit",
        abstract: "Convert, quantize, verify and package VILA-style vision-language models on the CPU.",
        discussion: """
        A checkpoint is a folder in the VILA layout (VILA 1.5, NVILA: config.json with llm/, vision_tower/ and \
        mm_projector/ sub-folders) or the LLaVA-HF layout (one folder of LlavaForConditionalGeneration \
        weights). Weights are safetensors files (f32, f16 or bf16), single or sharded.

        Exit codes: 0 success, 1 verification out of tolerance, 2 bad input or usage.
        """,
        version: version,
        subcommands: [InspectCommand.self, RunCommand.self, VerifyCommand.self, QuantizeCommand.self, ImportCommand.self, EvalPPLCommand.self, ExportCommand.self, VerifyBundleCommand.self, TokenizeCommand.self, PreprocessCommand.self, SynthesizeCommand.self, BenchCommand.self]
    )
}
