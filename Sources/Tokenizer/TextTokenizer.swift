import TensorIO

/// Either kind of tokenizer VLMKit reads, behind one interface.
public enum TextTokenizer: Sendable {
    case sentencePiece(SentencePieceTokenizer, bosID: Int?)
    case byteLevel(ByteLevelBPETokenizer)
    /// Llama-2-style tokenizer.json (BPE with byte fallback over ▁-spaced text).
    case metaspace(MetaspaceBPETokenizer)

    /// Prefers `tokenizer.json`, as transformers' fast tokenizers do: byte-level BPE (Llama 3) or
    /// BPE with byte fallback (Llama 2). Without it, `tokenizer.model` (SentencePiece).
    public static func load(sentencePieceModel: [UInt8]?, tokenizerJSON: JSONValue?, file: String) throws -> TextTokenizer {
        if let json = tokenizerJSON {
            if json["model"]?["byte_fallback"]?.boolValue == true { return .metaspace(try MetaspaceBPETokenizer(json: json)) }
            return .byteLevel(try ByteLevelBPETokenizer(json: json))
        }
        guard let bytes = sentencePieceModel else { throw ByteLevelBPETokenizer.LoadError(detail: "no tokenizer.json or tokenizer.model in \(file)") }
        let model = try SentencePieceModel(bytes: bytes, file: file)
        return .sentencePiece(SentencePieceTokenizer(model), bosID: model.bosID >= 0 ? model.bosID : nil)
    }

    /// Token ids of `text`, with the beginning-of-sequence token first when `addSpecialTokens`.
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        switch self {
        case let .sentencePiece(t, bos): return (addSpecialTokens ? bos.map { [$0] } ?? [] : []) + t.encode(text)
        case let .byteLevel(t): return t.encode(text, addSpecialTokens: addSpecialTokens)
        case let .metaspace(t): return t.encode(text, addSpecialTokens: addSpecialTokens)
        }
    }

    /// Text of `ids`; with `skipSpecial`, special tokens (BOS, EOS, <|eot_id|>, …) are left out,
    /// as `tokenizer.decode(ids, skip_special_tokens=True)`. SentencePiece drops control pieces always.
    public func decode(_ ids: [Int], skipSpecial: Bool = false) -> String {
        switch self {
        case let .sentencePiece(t, _): return t.decode(ids)
        case let .byteLevel(t): return t.decode(ids, skipSpecial: skipSpecial)
        case let .metaspace(t): return t.decode(ids, skipSpecial: skipSpecial)
        }
    }

    /// The beginning-of-sequence id that `encode(_:addSpecialTokens: true)` puts first, if any.
    public var bosID: Int? {
        switch self {
        case let .sentencePiece(_, bos): return bos
        case let .byteLevel(t): return t.prefixIDs.first
        case let .metaspace(t): return t.prefixIDs.first
        }
    }

    /// The id of a token written as text ("</s>", "<|eot_id|>"), if the vocabulary has it as one token.
    public func tokenID(_ text: String) -> Int? {
        switch self {
        case let .sentencePiece(t, _): return t.model.pieces.firstIndex { $0.text == text }
        case let .byteLevel(t): return t.vocab[text]
        case let .metaspace(t): return t.vocab[text]
        }
    }

    /// The vocabulary entry of `id` as stored ("▁the", "Ġthe", "<0x0A>"), if it exists.
    public func piece(_ id: Int) -> String? {
        switch self {
        case let .sentencePiece(t, _): return id >= 0 && id < t.model.pieces.count ? t.model.pieces[id].text : nil
        case let .byteLevel(t): return t.idToToken[id]
        case let .metaspace(t): return t.idToToken[id]
        }
    }

    /// The SentencePiece model's end-of-sequence id, if any (byte-level tokenizers name theirs in
    /// the model config).
    public var eosID: Int? {
        switch self {
        case let .sentencePiece(t, _): return t.model.eosID >= 0 ? t.model.eosID : nil
        case .byteLevel, .metaspace: return nil
        }
    }
}
