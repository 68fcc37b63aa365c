import TensorIO

/// The `model` part of a BPE tokenizer.json, read strictly: what Hugging Face `tokenizers`
/// refuses to load is refused here too, by name, never skipped.
struct BPEModelFile {
    var vocab: Vocabulary
    /// "a b" → rank.
    var ranks: [TokenText: Int]
    let added: AddedTokens

    typealias LoadError = ByteLevelBPETokenizer.LoadError

    /// Ids are u32 in `tokenizers`; we hold them in Int and refuse what is not below 2^31.
    static let idLimit = 1 << 31

    /// - Parameter keepFirstDuplicateMerge: which rank a merge listed twice keeps.
    init(json t: JSONValue, keepFirstDuplicateMerge: Bool) throws {
        guard let model = t["model"] else { throw LoadError(detail: "no \"model\"") }
        let type = model["type"]?.stringValue ?? "BPE"
        guard type == "BPE" else {
            throw LoadError(detail: "model type \"\(type)\" is not supported (vlmkit reads BPE tokenizers)")
        }
        guard let entries = model["vocab"]?.objectValue else {
            let found = model["vocab"].map { $0.arrayValue != nil ? "an array (the [piece, score] list of a Unigram model?)" : "not an object" } ?? "missing"
            throw LoadError(detail: "model.vocab is \(found); a BPE vocabulary is an object of token → id")
        }
        var vocab = Vocabulary(minimumCapacity: entries.count)
        for (token, id) in entries {
            guard let i = id.intValue else {
                throw LoadError(detail: "token \(Self.quoted(token)) has id \(id.serialized), not an integer")
            }
            guard i >= 0, i < Self.idLimit else { throw LoadError(detail: "token \(Self.quoted(token)) has id \(i), outside 0..<2^31") }
            vocab[TokenText(token)] = i
        }
        var ranks: [TokenText: Int] = [:]
        let merges = model["merges"]
        guard merges == nil || merges == .null || merges?.arrayValue != nil else {
            throw LoadError(detail: "model.merges is not an array")
        }
        for (r, m) in (merges?.arrayValue ?? []).enumerated() {
            let a: String, b: String
            if let s = m.stringValue {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw LoadError(detail: "merge \(r) \(Self.quoted(s)) is not two tokens separated by one space")
                }
                (a, b) = (String(parts[0]), String(parts[1]))
            } else if let p = m.arrayValue, p.count == 2, let x = p[0].stringValue, let y = p[1].stringValue {
                (a, b) = (x, y)
            } else {
                throw LoadError(detail: "merge \(r) is \(m.serialized.prefix(40)), neither \"a b\" nor [\"a\", \"b\"]")
            }
            for part in [a, b] where vocab[TokenText(part)] == nil {
                throw LoadError(detail: "merge \(r) names \(Self.quoted(part)), which is not in the vocabulary")
            }
            guard vocab[TokenText(a + b)] != nil else {
                throw LoadError(detail: "merge \(r) makes \(Self.quoted(a + b)), which is not in the vocabulary")
            }
            let key = TokenText(a + " " + b)
            if keepFirstDuplicateMerge { ranks[key] = ranks[key] ?? r } else { ranks[key] = r }
        }
        let largestVocabID = vocab.values.max() ?? -1
        added = try AddedTokens(json: t["added_tokens"], largestVocabID: largestVocabID)
        for a in added.tokens { vocab[TokenText(a.content)] = a.id }
        self.vocab = vocab
        self.ranks = ranks
    }

    /// id → token text (the first spelling kept when two share an id).
    static func inverse(_ vocab: Vocabulary) -> [Int: String] {
        var out: [Int: String] = [:]
        out.reserveCapacity(vocab.count)
        for (k, v) in vocab where out[v] == nil { out[v] = k.string }
        return out
    }

    static func quoted(_ s: String) -> String {
        "\"" + String(s.unicodeScalars.prefix(40).map { Character($0) }) + "\""
    }
}
