import ArgumentParser
import Pipeline
import Foundation
import Quantization
import ReferenceRuntime
import TensorIO

struct EvalPPLCommand: ParsableCommand, ComputingCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-ppl",
        abstract: "Perplexity of the language model on a text (or token-id) file.",
        discussion: """
        --text FILE is plain UTF-8 text, tokenized with the model's own tokenizer (no BOS); \
        --ids FILE is whitespace-separated token ids. The ids are cut into windows of --context \
        tokens; perplexity is exp of the mean negative log-likelihood of every token after the \
        first of each window.

        Examples:
          vlmkit eval-ppl MODEL-int4 --text wiki.txt --context 256
          vlmkit eval-ppl MODEL-int4 --ids ids.txt
        """
    )

    @Argument(help: "Checkpoint folder or quantized model folder.")
    var model: String

    @Option(help: "Text file, tokenized with the model's tokenizer.")
    var text: String?

    @Option(help: "Token-id file (whitespace-separated integers).")
    var ids: String?

    @Option(parsing: .unconditional, help: "Window length in tokens.")
    var context: Int = 512

    @Option(parsing: .unconditional, help: "Largest number of tokens to evaluate.")
    var maxTokens: Int = 1 << 30

    @OptionGroup var compute: ComputeOptions

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard context >= 2 else { throw ValidationError("--context must be at least 2, not \(context)") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be 1 or more, not \(maxTokens)") }
        guard (text == nil) != (ids == nil) else { throw ValidationError("give exactly one of --text and --ids") }
    }

    func run() throws {
        let source = try ModelSource.open(model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides)
        let limit = source.config.llm.maxPositionEmbeddings
        guard context <= limit else {
            throw ValidationError("--context \(context) is beyond the model's context of \(limit) positions (max_position_embeddings)")
        }
        let runner = try VLMRunner(weights: source)
        let data: CalibrationData
        if let text {
            let tokenizer = try ModelTokenizer.load(model, layout: source.config.layout)
            let content = try TextFile.read(text)
            let all = tokenizer.encode(content, addSpecialTokens: false).prefix(maxTokens).map(Int64.init)
            guard !all.isEmpty else { throw ValidationError("\(text) holds no tokens") }
            data = CalibrationData(ids: all, sequenceLength: context)
        } else {
            data = try CalibrationData.load(ids!, tokens: maxTokens, sequenceLength: context, vocab: source.config.llm.vocabSize)
        }
        let result = try Perplexity.evaluate(runner.llm, sequences: data.sequences)
        if json {
            print(try JSONOutput.encode(result))
        } else {
            print("perplexity \(String(format: "%.4f", result.perplexity)) over \(result.tokens) predicted tokens (\(result.windows) windows of ≤ \(context))")
        }
    }
}
