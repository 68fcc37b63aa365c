import ArgumentParser
import Foundation
import Quantization
import ReferenceRuntime

struct EvalPPLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-ppl",
        abstract: "Perplexity of the language model on a token-id file.",
        discussion: """
        TEXT is whitespace-separated token ids (a tokenizer arrives with a later release). The ids \
        are cut into windows of --context tokens; perplexity is exp of the mean negative \
        log-likelihood of every token after the first of each window.

        Example:
          vlmkit eval-ppl MODEL-int4 --text ids.txt --context 256
        """
    )

    @Argument(help: "Checkpoint folder or quantized model folder.")
    var model: String

    @Option(help: "Token-id file.")
    var text: String

    @Option(help: "Window length in tokens.")
    var context: Int = 512

    @Option(help: "Largest number of tokens to evaluate.")
    var maxTokens: Int = 1 << 30

    @Option(help: "Threads (0 = all cores).")
    var threads: Int = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard context >= 2 else { throw ValidationError("--context must be at least 2") }
    }

    func run() throws {
        Threads.apply(threads)
        let source = try ModelSource.open(model)
        let runner = try VLMRunner(weights: source)
        let data = try CalibrationData.load(text, tokens: maxTokens, sequenceLength: context, vocab: source.config.llm.vocabSize)
        let result = Perplexity.evaluate(runner.llm, sequences: data.sequences)
        if json {
            print(try JSONOutput.encode(result))
        } else {
            print("perplexity \(String(format: "%.4f", result.perplexity)) over \(result.tokens) predicted tokens (\(result.windows) windows of ≤ \(context))")
        }
    }
}
