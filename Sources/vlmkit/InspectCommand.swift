import ArgumentParser
import Foundation
import ModelGraph

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a checkpoint: layout, architecture, sizes, image tokens, problems.",
        discussion: """
        Reads only config files and safetensors headers, never tensor data, so it is instant even \
        for large models. Every tensor must map to the graph the config describes: a missing, \
        unused or mis-shaped tensor is reported and the command exits with 2.

        Examples:
          vlmkit inspect golden/models/vila-clip-linear-f16
          vlmkit inspect ~/models/VILA1.5-3b --json | jq .llm
        """
    )

    @Argument(help: "Checkpoint folder (VILA or LLaVA-HF layout).")
    var path: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "List every ignored tensor and why.")
    var verbose = false

    func run() throws {
        let graph = try ModelLoader.load(path)
        let summary = ModelSummary(graph)
        if json {
            print(try JSONOutput.encode(summary))
        } else {
            print(InspectText.render(summary, verbose: verbose))
        }
    }
}

enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
