import TensorIO

// Pieces shared by the tokenizer.json readers: added tokens, the post-processor prefix, BPE merging.

/// The `added_tokens` of a tokenizer.json (<s>, </s>, <|eot_id|>, …): cut out of the text before
/// anything else (leftmost occurrence, longest first on ties), as `tokenizers` does.
struct AddedTokens: Sendable {
    let tokens: [(content: String, id: Int, special: Bool)]
    let firsts: Set<Unicode.Scalar>
    let byID: [Int: (content: String, special: Bool)]

    init(json: JSONValue?) {
        var list: [(String, Int, Bool)] = []
        for a in json?.arrayValue ?? [] {
            guard let content = a["content"]?.stringValue, let id = a["id"]?.intValue, !content.isEmpty else { continue }
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

/// TemplateProcessing "single": the special tokens before $A (e.g. <s>, <|begin_of_text|>).
func postProcessorPrefix(_ t: JSONValue, vocab: [String: Int]) -> [Int] {
    var prefix: [Int] = []
    if let single = t["post_processor"]?["single"]?.arrayValue {
        for piece in single {
            if piece["Sequence"] != nil { break }
            if let id = piece["SpecialToken"]?["id"]?.stringValue, let i = vocab[id] { prefix.append(i) }
        }
    }
    return prefix
}

/// Hugging Face BPE: repeatedly merges the adjacent pair with the lowest merge rank ("a b" → rank),
/// leftmost first on ties, until no pair has a rank.
func mergeByRank(_ start: [String], ranks: [String: Int]) -> [String] {
    var symbols = start
    while symbols.count > 1 {
        var best = -1, bestRank = Int.max
        for k in 0..<(symbols.count - 1) {
            if let r = ranks[symbols[k] + " " + symbols[k + 1]], r < bestRank { bestRank = r; best = k }
        }
        if best < 0 { break }
        symbols[best] += symbols[best + 1]
        symbols.remove(at: best + 1)
    }
    return symbols
}
