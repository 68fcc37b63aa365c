import ArgumentParser
import Chat
import DeviceBundle
import Foundation
import ModelGraph
import Quantization
import Tokenizer

/// The checkpoint's tokenizer, found in the files of a checkpoint folder, quantized folder or bundle.
enum ModelTokenizer {
    /// The config and tokenizer files of any model vlmkit reads.
    static func configFiles(_ model: String) throws -> any ConfigSource {
        if DeviceBundleFile.looksLikeBundle(model) { return try DeviceBundleFile(path: model).configFiles() }
        if QuantizedModel.isQuantizedModel(model) { return FolderConfigSource(model + "/" + QuantizedModelFormat.configFolder) }
        return FolderConfigSource(model)
    }

    static func load(_ model: String, layout: LayoutKind) throws -> TextTokenizer {
        try ModelAssets.loadTokenizer(files: configFiles(model), layout: layout)
    }
}

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with the model's tokenizer (or decode ids with --decode).",
        discussion: """
        Uses llm/tokenizer.model (SentencePiece, Llama 2 style) when present, else tokenizer.json \
        (byte-level BPE, Llama 3 style). Encoding matches the `sentencepiece` and `tokenizers` \
        libraries exactly on the committed corpus (golden/tokenizer/corpus.json).

        Examples:
          vlmkit tokenize golden/models/vila-clip-linear-f16 --text "What is in this image?"
          vlmkit tokenize golden/models/vila-clip-linear-f16 --decode "1 332 324"
        """
    )

    @Argument(help: "Checkpoint folder, quantized model folder or bundle.")
    var model: String

    @Option(help: "Text to encode.")
    var text: String?

    @Option(help: "Encode the contents of this UTF-8 file.")
    var file: String?

    @Flag(help: "Print only the number of tokens and the encoding speed (to stderr).")
    var count = false

    @Option(help: "Whitespace-separated ids to decode.")
    var decode: String?

    @Flag(help: "Do not add the beginning-of-sequence token.")
    var noSpecial = false

    func validate() throws {
        guard [text != nil, decode != nil, file != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --text, --file and --decode")
        }
    }

    func run() throws {
        let layout = try ModelSource.open(model).config.layout
        let tokenizer = try ModelTokenizer.load(model, layout: layout)
        if let input = try text ?? file.map({ try String(contentsOfFile: $0, encoding: .utf8) }) {
            let start = Progress.now()
            let ids = tokenizer.encode(input, addSpecialTokens: !noSpecial)
            let seconds = Progress.now() - start
            if count {
                print(ids.count)
                let mb = Double(input.utf8.count) / 1e6
                FileHandleOutput.stderr("\(String(format: "%.2f", mb)) MB in \(String(format: "%.3f", seconds)) s: \(String(format: "%.1f", mb / max(seconds, 1e-9))) MB/s")
            } else {
                print(ids.map(String.init).joined(separator: " "))
            }
        } else if let decode {
            let ids = try decode.split(whereSeparator: { $0 == " " || $0 == "," }).map { word -> Int in
                guard let v = Int(word) else { throw ValidationError("'\(word)' is not a token id") }
                return v
            }
            print(tokenizer.decode(ids))
        }
    }
}
