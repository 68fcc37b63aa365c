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
        // We encode by BPE merges; a unigram model encoded that way would give other ids.
        guard model.modelType == 2 else {
            let name = SentencePieceModel.modelTypeNames[model.modelType] ?? "type \(model.modelType)"
            throw SentencePieceModel.ParseError(file: file, detail: "model_type is \(name); vlmkit encodes SentencePiece BPE models only")
        }
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
    /// An id with no token (a model's embedding rows often outnumber its tokenizer's entries:
    /// LLaVA-1.5 has 32064 rows for 32002 tokens) decodes to a visible `placeholder(id)`, never "".
    public func decode(_ ids: [Int], skipSpecial: Bool = false) -> String {
        var out = ""
        var run: [Int] = []
        func flush() {
            guard !run.isEmpty else { return }
            switch self {
            case let .sentencePiece(t, _): out += t.decode(run)
            case let .byteLevel(t): out += t.decode(run, skipSpecial: skipSpecial)
            case let .metaspace(t): out += t.decode(run, skipSpecial: skipSpecial)
            }
            run = []
        }
        for id in ids {
            if hasToken(id) { run.append(id) } else { flush(); out += Self.placeholder(id) }
        }
        flush()
        return out
    }

    /// What an id without a token decodes to.
    public static func placeholder(_ id: Int) -> String { "<id \(id): no token>" }

    /// Whether `id` names a vocabulary entry or an added token.
    public func hasToken(_ id: Int) -> Bool {
        switch self {
        case let .sentencePiece(t, _): return id >= 0 && id < t.model.pieces.count
        case let .byteLevel(t): return t.idToToken[id] != nil || t.added.byID[id] != nil
        case let .metaspace(t): return t.idToToken[id] != nil || t.added.byID[id] != nil
        }
    }

    /// How many ids have a token: the largest id with one, plus one.
    public var idCount: Int {
        switch self {
        case let .sentencePiece(t, _): return t.model.pieces.count
        case let .byteLevel(t): return max((t.idToToken.keys.max() ?? -1), (t.added.byID.keys.max() ?? -1)) + 1
        case let .metaspace(t): return max((t.idToToken.keys.max() ?? -1), (t.added.byID.keys.max() ?? -1)) + 1
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
        case let .sentencePiece(t, _): return t.model.pieces.firstIndex { $0.text.utf8.elementsEqual(text.utf8) }
        case let .byteLevel(t): return t.vocab[TokenText(text)]
        case let .metaspace(t): return t.vocab[TokenText(text)]
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
