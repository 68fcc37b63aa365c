import TensorIO

// Pieces shared by the tokenizer.json readers: added tokens, the post-processor prefix, BPE merging.

/// The `added_tokens` of a tokenizer.json (<s>, </s>, <|eot_id|>, …): cut out of the text before
/// anything else (leftmost occurrence, longest first on ties), as `tokenizers` does.
struct AddedTokens: Sendable {
    let tokens: [(content: String, id: Int, special: Bool)]
    let firsts: Set<Unicode.Scalar>
    let byID: [Int: (content: String, special: Bool)]

    /// - Parameter largestVocabID: the model vocabulary's largest id; added tokens extend it, so
    ///   an id far beyond it plus their count (more than 65536 past) is refused as not sane.
    init(json: JSONValue?, largestVocabID: Int) throws {
        var list: [(String, Int, Bool)] = []
        guard json == nil || json == .null || json?.arrayValue != nil else {
            throw ByteLevelBPETokenizer.LoadError(detail: "added_tokens is not an array")
        }
        let entries = json?.arrayValue ?? []
        let limit = largestVocabID + entries.count + 65536
        for (n, a) in entries.enumerated() {
            guard let content = a["content"]?.stringValue, !content.isEmpty else {
                throw ByteLevelBPETokenizer.LoadError(detail: "added token \(n) has no content")
            }
            guard let id = a["id"]?.intValue, id >= 0, id <= limit else {
                throw ByteLevelBPETokenizer.LoadError(detail: "added token \(BPEModelFile.quoted(content)) has id \(a["id"]?.serialized ?? "(none)"); ids run from 0 to \(limit) (the vocabulary's largest, \(largestVocabID), plus the added tokens and a margin)")
            }
            list.append((content, id, a["special"]?.boolValue ?? false))
        }
        tokens = list.sorted { $0.0.unicodeScalars.count > $1.0.unicodeScalars.count }
        firsts = Set(list.compactMap { $0.0.unicodeScalars.first })
        byID = Dictionary(list.map { ($0.1, ($0.0, $0.2)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Text with added tokens cut out, in order.
    func split(_ text: String) -> [(text: String, addedID: Int?)] {
        let scalars = Array(text.unicodeScalars)
        var out: [(String, Int?)] = []
        var plainStart = 0, i = 0
        func flushPlain(_ end: Int) {
            if end > plainStart { out.append((String(String.UnicodeScalarView(scalars[plainStart..<end])), nil)) }
        }
        while i < scalars.count {
            if firsts.contains(scalars[i]),
               let hit = tokens.first(where: { a in
                   let t = Array(a.content.unicodeScalars)
                   return i + t.count <= scalars.count && scalars[i..<(i + t.count)].elementsEqual(t)
               }) {
                flushPlain(i)
                out.append((hit.content, hit.id))
                i += hit.content.unicodeScalars.count
                plainStart = i
            } else {
                i += 1
            }
        }
        flushPlain(scalars.count)
        return out
    }
}

/// The special tokens the post-processor puts before a single sequence ($A), read as the file
/// composes it: TemplateProcessing's "single" template (e.g. <s>, <|begin_of_text|>), also inside
/// a Sequence (Llama 3: ByteLevel, then TemplateProcessing); ByteLevel adds no ids. Other
/// post-processors are refused by name. A special token named in the template must exist: its
/// ids come from the template's `special_tokens` table, else from the vocabulary.
func postProcessorPrefix(_ t: JSONValue, vocab: Vocabulary) throws -> [Int] {
    func prefix(of p: JSONValue) throws -> [Int] {
        let type = p["type"]?.stringValue ?? ""
        switch type {
        case "ByteLevel":
            return []
        case "Sequence":
            return try (p["processors"]?.arrayValue ?? []).flatMap { try prefix(of: $0) }
        case "TemplateProcessing":
            var out: [Int] = []
            for piece in p["single"]?.arrayValue ?? [] {
                if piece["Sequence"] != nil { break }
                guard let name = piece["SpecialToken"]?["id"]?.stringValue else { continue }
                if let ids = p["special_tokens"]?[name]?["ids"]?.arrayValue {
                    out += try ids.map { v -> Int in
                        guard let i = v.intValue, i >= 0 else {
                            throw ByteLevelBPETokenizer.LoadError(detail: "post_processor special token \(BPEModelFile.quoted(name)) has id \(v.serialized)")
                        }
                        return i
                    }
                } else if let i = vocab[TokenText(name)] {
                    out.append(i)
                } else {
                    throw ByteLevelBPETokenizer.LoadError(detail: "post_processor names special token \(BPEModelFile.quoted(name)), which the vocabulary does not have")
                }
            }
            return out
        default:
            throw ByteLevelBPETokenizer.LoadError(detail: "post_processor type \"\(type)\" is not supported (supported: TemplateProcessing, ByteLevel, Sequence of them)")
        }
    }
    guard let p = t["post_processor"], p != .null else { return [] }
    return try prefix(of: p)
}

/// Hugging Face BPE: repeatedly merges the adjacent pair with the lowest merge rank ("a b" → rank),
/// leftmost first on ties, until no pair has a rank.
func mergeByRank(_ start: [String], ranks: [TokenText: Int]) -> [String] {
    var symbols = start
    while symbols.count > 1 {
        var best = -1, bestRank = Int.max
        for k in 0..<(symbols.count - 1) {
            if let r = ranks[TokenText(symbols[k] + " " + symbols[k + 1])], r < bestRank { bestRank = r; best = k }
        }
        if best < 0 { break }
        symbols[best] += symbols[best + 1]
        symbols.remove(at: best + 1)
    }
    return symbols
}
