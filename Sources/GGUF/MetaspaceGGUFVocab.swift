import ModelGraph
import TensorIO
import Tokenizer

/// A Llama-2-style `tokenizer.json` without `tokenizer.model` (LLaVA-HF and many fine-tunes ship
/// only that: BPE with byte fallback over text whose spaces are ▁) as GGUF's `llama` tokenizer,
/// which llama.cpp runs as SentencePiece BPE: it merges the adjacent pair whose joined piece has the
/// highest score. Hugging Face's converter writes a merge for every split of every piece, ordered by
/// piece, so score(piece) = −(1 + rank of the first merge that makes it), 0 for pieces no merge makes, reproduces the merge order.
public struct MetaspaceGGUFVocab: Sendable {
    public let tokens: [String]
    public let scores: [Float]
    /// llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public let types: [Int32]
    public let unkID: Int?
    public let addSpacePrefix: Bool

    public init(_ t: ConfigObject, vocabSize: Int) throws {
        let file = t.file
        let tokenizer = try MetaspaceBPETokenizer(json: t.json)
        // Only the two spellings llama.cpp's SentencePiece path computes exactly.
        let legacy: JSONValue = .object([("type", .string("Sequence")), ("normalizers", .array([
            .object([("type", .string("Prepend")), ("prepend", .string("\u{2581}"))]),
            .object([("type", .string("Replace")), ("pattern", .object([("String", .string(" "))])), ("content", .string("\u{2581}"))]),
        ]))])
        let normalizer = t.json["normalizer"].flatMap { $0 == .null ? nil : $0 }
        let pre = t.json["pre_tokenizer"].flatMap { $0 == .null ? nil : $0 }
        if let n = normalizer, n != legacy {
            throw HFTokenizerVocab.VocabError.unsupported(file, "the normalizer \(n.serialized.prefix(80)) is not Llama 2's Prepend(▁) + Replace(' ', ▁); llama.cpp would tokenize text differently")
        }
        if let p = pre {
            guard p["type"]?.stringValue == "Metaspace", p["replacement"]?.stringValue == "\u{2581}", p["split"]?.boolValue != true,
                  normalizer == nil else {
                throw HFTokenizerVocab.VocabError.unsupported(file, "the pre-tokenizer \(p.serialized.prefix(80)) is not a non-splitting Metaspace(▁); llama.cpp would split text differently")
            }
        }
        switch tokenizer.prepend {
        case .first:
            throw HFTokenizerVocab.VocabError.unsupported(file, "Metaspace prepend_scheme \"first\" puts ▁ only before the start of the text, but llama.cpp also puts one after every special token it parses (text such as \"</s>ASSISTANT\" would get other ids)")
        case .everySegment: addSpacePrefix = true
        case .never: addSpacePrefix = false
        }
        guard let vocab = t.json["model"]?["vocab"]?.objectValue else { throw HFTokenizerVocab.VocabError.unsupported(file, "model.vocab is missing") }
        var byID: [Int: String] = [:]
        for (token, id) in vocab {
            guard let i = id.intValue, i >= 0, i < vocabSize else {
                throw HFTokenizerVocab.VocabError.unsupported(file, "token \(token) has id \(id.serialized), outside the model's vocabulary of \(vocabSize)")
            }
            byID[i] = token
        }
        var kinds: [Int: Int32] = [:]
        for added in t.json["added_tokens"]?.arrayValue ?? [] {
            guard let i = added["id"]?.intValue, let content = added["content"]?.stringValue else { continue }
            guard i < vocabSize else {
                throw HFTokenizerVocab.VocabError.unsupported(file, "added token \(content) has id \(i), outside the model's vocabulary of \(vocabSize)")
            }
            byID[i] = content
            kinds[i] = added["special"]?.boolValue == true ? 3 : 4
        }
        let unkText = t.json["model"]?["unk_token"]?.stringValue
        unkID = unkText.flatMap { u in byID.first { $0.value == u }?.key }
        if let u = unkID { kinds[u] = 2 }
        // The first merge making a piece gives its score (the strict reading above checked the merges).
        var score: [String: Float] = [:]
        for (r, m) in (t.json["model"]?["merges"]?.arrayValue ?? []).enumerated() {
            let joined: String
            if let pair = m.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                joined = a + b
            } else if let s = m.stringValue, let space = s.firstIndex(of: " ") {
                joined = String(s[..<space]) + String(s[s.index(after: space)...])
            } else { continue }
            if score[joined] == nil { score[joined] = -Float(r + 1) }
        }
        let all = (0..<vocabSize).map { byID[$0] ?? "[PAD\($0)]" }
        tokens = all
        scores = all.indices.map { byID[$0] == nil ? -1000 : score[all[$0]] ?? 0 }
        types = all.indices.map { i in
            if let k = kinds[i] { return k }
            guard let text = byID[i] else { return 5 }
            return Self.isByteToken(text) ? 6 : 1
        }
    }

    /// `<0xNN>`: a byte-fallback piece.
    static func isByteToken(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"), u[5] == UInt8(ascii: ">") else { return false }
        return u[3...4].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
    }
}

extension TokenizerMetadata {
    /// Llama-2-style tokenizer.json: GGUF's `llama` model with merge-rank scores.
    public static func metaspaceBPE(_ v: MetaspaceGGUFVocab, config: ConfigObject?, fallbackBOS: Int?, fallbackEOS: Int?) throws -> TokenizerMetadata {
        var e: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .arrayString(v.tokens)), ("tokenizer.ggml.scores", .arrayFloat32(v.scores)),
            ("tokenizer.ggml.token_type", .arrayInt32(v.types)),
        ]
        if let bos = try configuredID(config, "bos_token", tokens: v.tokens) ?? fallbackBOS { e.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bos)))) }
        if let eos = try configuredID(config, "eos_token", tokens: v.tokens) ?? fallbackEOS { e.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(eos)))) }
        if let unk = try configuredID(config, "unk_token", tokens: v.tokens) ?? v.unkID { e.append(("tokenizer.ggml.unknown_token_id", .uint32(UInt32(unk)))) }
        e.append(("tokenizer.ggml.add_bos_token", .bool(try config?.bool("add_bos_token", default: true) ?? true)))
        e.append(("tokenizer.ggml.add_eos_token", .bool(try config?.bool("add_eos_token", default: false) ?? false)))
        e.append(("tokenizer.ggml.add_space_prefix", .bool(v.addSpacePrefix)))
        return TokenizerMetadata(entries: e)
    }
}
