import ArgumentParser
import Pipeline
import Chat
import DeviceBundle
import Foundation
import ModelGraph
import Quantization
import TensorIO
import Tokenizer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text with the model's tokenizer, or decode ids (--decode), as llama-tokenize does.",
        discussion: """
        Uses the model's tokenizer.json when present, as transformers' fast tokenizers do (byte-level \
        BPE with the file's normalizer and pre-tokenizer: Llama 3, Qwen2, GPT-2 …; or SentencePiece-style \
        BPE with byte fallback), else tokenizer.model (SentencePiece, Llama 2 style). A tokenizer.json \
        component VLMKit does not implement is an error naming it. Ids match the `sentencepiece` and \
        `tokenizers` libraries exactly on the corpora in golden/tokenizer/. \
        The beginning-of-sequence token the model expects is added unless --no-bos.

        Examples:
          vlmkit tokenize golden/models/vila-clip-linear-f16 "What is in this image?"
          vlmkit tokenize golden/models/vila-clip-linear-f16 "What is in this image?" --json
          vlmkit tokenize golden/models/vila-clip-linear-f16 --decode 1 332 324
          vlmkit tokenize golden/models/vila-clip-linear-f16 --file book.txt --count
        """
    )

    @Argument(help: "Checkpoint folder, quantized model folder or bundle.")
    var model: String

    @Argument(help: "The text to encode (words are joined with spaces), or with --decode the ids.")
    var words: [String] = []

    @Option(help: "Text to encode (instead of the TEXT argument).")
    var text: String?

    @Option(help: "Encode the contents of this UTF-8 file.")
    var file: String?

    @Flag(help: "Decode: the arguments are token ids (spaces or commas between them).")
    var decode = false

    @Flag(help: "Do not add the beginning-of-sequence token.")
    var noBOS = false

    @Flag(name: .customLong("no-special"), help: .hidden)
    var noSpecial = false

    @Flag(help: "Print only the number of tokens, and the encoding speed (to stderr).")
    var count = false

    @Flag(help: "Print JSON: ids and their pieces (or the decoded text).")
    var json = false

    func validate() throws {
        let sources = [text != nil, file != nil, !words.isEmpty].filter { $0 }.count
        guard sources == 1 else {
            throw ValidationError(decode ? "give the ids to decode" : "give the text as an argument, or --text or --file (one of them)")
        }
        if decode && words.isEmpty { throw ValidationError("--decode takes the ids as arguments") }
        if decode && (noBOS || count) { throw ValidationError("\(noBOS ? "--no-bos" : "--count") applies to encoding, not --decode") }
        if count && json { throw ValidationError("--count prints one number; it does not take --json") }
    }

    func run() throws {
        let layout = try ModelSource.open(model).config.layout
        let tokenizer = try ModelTokenizer.load(model, layout: layout)
        if decode {
            let ids = try words.joined(separator: " ").split(whereSeparator: { $0 == " " || $0 == "," }).map { word -> Int in
                guard let v = Int(word), v >= 0 else { throw ValidationError("'\(word)' is not a token id") }
                guard tokenizer.hasToken(v) else {
                    throw ValidationError("token id \(v) has no token in this tokenizer (ids with a token: 0..<\(tokenizer.idCount))")
                }
                return v
            }
            let out = tokenizer.decode(ids)
            if json {
                struct Decoded: Encodable { let ids: [Int]; let text: String }
                print(try JSONOutput.encode(Decoded(ids: ids, text: out)))
            } else {
                print(out)
            }
            return
        }
        let input = try text ?? file.map { try TextFile.read($0) } ?? words.joined(separator: " ")
        let start = Progress.now()
        let ids = tokenizer.encode(input, addSpecialTokens: !(noBOS || noSpecial))
        let seconds = Progress.now() - start
        if count {
            print(ids.count)
            let mb = Double(input.utf8.count) / 1e6
            FileHandleOutput.stderr("\(String(format: "%.2f", mb)) MB in \(String(format: "%.3f", seconds)) s: \(String(format: "%.1f", mb / max(seconds, 1e-9))) MB/s")
        } else if json {
            struct Encoded: Encodable { let ids: [Int]; let pieces: [String]; let count: Int }
            print(try JSONOutput.encode(Encoded(ids: ids, pieces: ids.map { tokenizer.piece($0) ?? "" }, count: ids.count)))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
