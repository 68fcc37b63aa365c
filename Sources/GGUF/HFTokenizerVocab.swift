import ModelGraph
import TensorIO
import Tokenizer

/// The vocabulary of a Hugging Face `tokenizer.json`, in the form GGUF's `gpt2` tokenizer
/// model takes (byte-level BPE: tokens, types, merges).
public struct HFTokenizerVocab: Sendable {
    public let tokens: [String]
    /// llama.cpp token types: 1 normal, 3 control, 4 user-defined, 5 unused (padding).
    public let types: [Int32]
    public let merges: [String]
    public let preTokenizer: String


    public enum VocabError: Error, CustomStringConvertible {
        case unsupported(String, String)
        public var description: String {
            switch self { case let .unsupported(f, d): return "\(f): \(d)" }
        }
    }

    /// Reads `tokenizer.json` (as a config object) and lays out `vocabSize` tokens, padding
    /// ids the tokenizer does not use with `[PADn]` (as llama.cpp's converter does).
    public init(_ t: ConfigObject, vocabSize: Int) throws {
        let file = t.file
        // The same strict reading the tokenizer gets (malformed merges, ids, added tokens refused).
        _ = try TextTokenizer.load(sentencePieceModel: nil, tokenizerJSON: t.json, file: file)
        guard let model = try t.object("model"), try model.string("type") == "BPE" else {
            throw VocabError.unsupported(file, "only BPE tokenizers are exported to GGUF")
        }
        guard try !model.bool("byte_fallback", default: false) else {
            throw VocabError.unsupported(file, "BPE with byte_fallback (Llama 2 style) is GGUF's llama tokenizer (MetaspaceGGUFVocab), not byte-level BPE")
        }
        // The pre-tokenizer as the tokenizer reads it: exactly a Split on a regex llama.cpp knows
        // by name, then ByteLevel without its own split; and no normalizer llama.cpp would lack
        // but NFC (which llama.cpp's own converter leaves out too).
        let name: String
        switch try PreTokenizer.read(t.json["pre_tokenizer"]) {
        case .fast(maxDigits: 3): name = "llama-bpe"
        case .fast(maxDigits: 1): name = "qwen2"
        default: throw VocabError.unsupported(file, "the pre-tokenizer is not Llama 3's or Qwen2's (a Split on its regex, then ByteLevel); llama.cpp would split text differently")
        }
        switch try TextNormalizer.read(t.json["normalizer"]) {
        case nil, .nfc?: break
        default: throw VocabError.unsupported(file, "the normalizer is not NFC; llama.cpp applies none and would tokenize text differently")
        }
        preTokenizer = name

        var byID: [Int: (String, Int32)] = [:]
        for (token, id) in model.json["vocab"]?.objectValue ?? [] {
            guard let i = id.intValue, i >= 0, i < vocabSize else {
                throw VocabError.unsupported(file, "token \(token) has id \(id.serialized), outside the model's vocabulary of \(vocabSize)")
            }
            byID[i] = (token, 1)
        }
        for added in t.json["added_tokens"]?.arrayValue ?? [] {
            guard let i = added["id"]?.intValue, let content = added["content"]?.stringValue else { continue }  // refused above
            guard i < vocabSize else {
                throw VocabError.unsupported(file, "added token \(content) has id \(i), outside the model's vocabulary of \(vocabSize)")
            }
            byID[i] = (content, added["special"]?.boolValue == true ? 3 : 4)
        }
        tokens = (0..<vocabSize).map { byID[$0]?.0 ?? "[PAD\($0)]" }
        types = (0..<vocabSize).map { byID[$0]?.1 ?? 5 }
        // The strict reading above accepted only these two forms, so nothing is dropped here.
        merges = (model.json["merges"]?.arrayValue ?? []).compactMap { m in
            if let pair = m.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue { return a + " " + b }
            return m.stringValue
        }
    }
}
