import ModelGraph
import Tokenizer

/// The `tokenizer.ggml.*` entries of a GGUF file, from either kind of tokenizer file.
public struct TokenizerMetadata {
    public let entries: [(String, GGUFValue)]

    /// Looks up the id of the token tokenizer_config.json names under `key` (a string or {"content": …}).
    static func configuredID(_ config: ConfigObject?, _ key: String, tokens: [String]) throws -> Int? {
        guard let text = try config?.string(key) ?? config?.object(key)?.string("content") else { return nil }
        return tokens.firstIndex { $0.utf8.elementsEqual(text.utf8) }  // bytes, not canonical equivalence
    }

    /// Byte-level BPE (Llama 3 style): GGUF's `gpt2` model.
    public static func byteLevel(_ v: HFTokenizerVocab, config: ConfigObject?, fallbackBOS: Int?, fallbackEOS: Int?) throws -> TokenizerMetadata {
        var e: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string(v.preTokenizer)),
            ("tokenizer.ggml.tokens", .arrayString(v.tokens)), ("tokenizer.ggml.token_type", .arrayInt32(v.types)),
            ("tokenizer.ggml.merges", .arrayString(v.merges)),
        ]
        if let bos = try configuredID(config, "bos_token", tokens: v.tokens) ?? fallbackBOS { e.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bos)))) }
        if let eos = try configuredID(config, "eos_token", tokens: v.tokens) ?? fallbackEOS { e.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(eos)))) }
        if let unk = try configuredID(config, "unk_token", tokens: v.tokens) { e.append(("tokenizer.ggml.unknown_token_id", .uint32(UInt32(unk)))) }
        e.append(("tokenizer.ggml.add_bos_token", .bool(try config?.bool("add_bos_token", default: true) ?? true)))
        return TokenizerMetadata(entries: e)
    }

    /// SentencePiece (Llama 2 style): GGUF's `llama` model with the pieces' own scores and types.
    public static func sentencePiece(_ sp: SentencePieceModel, vocabSize: Int, config: ConfigObject?, file: String) throws -> TokenizerMetadata {
        guard sp.pieces.count <= vocabSize else {
            throw HFTokenizerVocab.VocabError.unsupported(file, "\(sp.pieces.count) pieces, more than the model's vocabulary of \(vocabSize)")
        }
        var tokens = sp.pieces.map(\.text), scores = sp.pieces.map(\.score), types = sp.pieces.map(\.type)
        for i in sp.pieces.count..<vocabSize {
            tokens.append("[PAD\(i)]"); scores.append(-1000); types.append(5)
        }
        var e: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .arrayString(tokens)), ("tokenizer.ggml.scores", .arrayFloat32(scores)),
            ("tokenizer.ggml.token_type", .arrayInt32(types)),
        ]
        let bos = try configuredID(config, "bos_token", tokens: tokens) ?? sp.bosID
        let eos = try configuredID(config, "eos_token", tokens: tokens) ?? sp.eosID
        let unk = try configuredID(config, "unk_token", tokens: tokens) ?? sp.unkID
        for (key, id) in [("bos_token_id", bos), ("eos_token_id", eos), ("unknown_token_id", unk)] where id >= 0 {
            e.append(("tokenizer.ggml." + key, .uint32(UInt32(id))))
        }
        e.append(("tokenizer.ggml.add_bos_token", .bool(try config?.bool("add_bos_token", default: true) ?? true)))
        e.append(("tokenizer.ggml.add_eos_token", .bool(try config?.bool("add_eos_token", default: false) ?? false)))
        e.append(("tokenizer.ggml.add_space_prefix", .bool(sp.addDummyPrefix)))
        return TokenizerMetadata(entries: e)
    }
}
