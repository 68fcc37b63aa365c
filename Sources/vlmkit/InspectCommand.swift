import ArgumentParser
import Pipeline
import Foundation
import DeviceBundle
import ModelGraph
import Quantization
import TensorIO

/// Summaries of every kind of model vlmkit reads: checkpoints from their graph, quantized
/// folders and bundles from what they store (quantized weights counted by their logical size).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a checkpoint: layout, architecture, sizes, image tokens, problems.",
        discussion: """
        Reads only config files and safetensors headers, never tensor data, so it is instant even \
        for large models (a torch.save .pt file is read without running its pickle, and its \
        entries are checked against their CRC-32, which reads the file once). Every tensor must map to the graph the config describes: a missing, \
        unused or mis-shaped tensor is reported and the command exits with 2.

        Examples:
          vlmkit inspect golden/models/vila-clip-linear-f16
          vlmkit inspect ~/models/VILA1.5-3b --json | jq .llm
        """
    )

    @Argument(help: "Checkpoint folder (VILA or LLaVA-HF layout), quantized model folder, bundle, one safetensors file / index, or a torch.save .pt file.")
    var path: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "List every ignored tensor and why.")
    var verbose = false

    @Option(name: .customLong("image-size"), help: ArgumentHelp(
        "An image size WIDTHxHEIGHT (repeatable): print the tiles and tokens it would get.",
        discussion: "With dynamic S2 (NVILA) the tile grid, and so the token count, follows the aspect ratio."))
    var imageSizes: [ImageSizeArgument] = []

    @OptionGroup var modelOverrides: ModelOverrideOptions

    func run() throws {
        if path.hasSuffix(".safetensors") || path.hasSuffix(".safetensors.index.json") || path.hasSuffix(".pt") || path.hasSuffix(".pth")
            || (Path.isRegularFile(path) && TorchCheckpoint.looksLikeTorchZip(path)) {
            return try inspectTensorFile()
        }
        let summary = try StoredModelSummary.load(path, overrides: modelOverrides.overrides,
                                                  imageSizes: imageSizes.map { ($0.width, $0.height) })
        if json {
            print(try JSONOutput.encode(summary))
        } else {
            print(InspectText.render(summary, verbose: verbose))
        }
    }
}

/// `--json` output: snake_case keys, sorted, indented — through the one JSON writer (TensorIO).
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        try JSONValueEncoder(snakeCaseKeys: true).encode(value).pretty(sortedKeys: true)
    }
}

extension InspectCommand {
    /// One safetensors file (or sharded index), or a torch.save file read without running its
    /// pickle (every entry's CRC checked): its metadata and tensors, validated.
    func inspectTensorFile() throws {
        let store: any TensorStore
        if path.hasSuffix(".pt") || path.hasSuffix(".pth") || TorchCheckpoint.looksLikeTorchZip(path) {
            let pt = try TorchCheckpoint(path: path)
            try pt.verifyChecksums()
            store = pt
        } else {
            store = try CheckpointFiles.open(path)
        }
        struct Entry: Encodable { let name: String; let dtype: String; let shape: [Int]; let bytes: Int; let file: String }
        let entries = store.tensorNames.compactMap { n in store.info(n).map { Entry(name: n, dtype: $0.dtype.rawValue, shape: $0.shape.dims, bytes: $0.byteCount, file: $0.file) } }
        if json {
            struct Out: Encodable { let path: String; let metadata: [String: String]; let tensors: [Entry] }
            print(try JSONOutput.encode(Out(path: path, metadata: store.metadata, tensors: entries)))
            return
        }
        let meta = store.metadata.isEmpty ? "no metadata" : "metadata " + store.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        print("\(path): \(entries.count) tensors, \(InspectText.bytes(entries.reduce(0) { $0 + $1.bytes })), \(meta)")
        for e in entries { print("  \(InspectText.pad(e.name, 48)) \(InspectText.pad(e.dtype, 8)) \(e.shape)") }
    }
}
