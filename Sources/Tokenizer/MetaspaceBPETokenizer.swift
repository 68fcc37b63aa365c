import TensorIO

/// A Llama-2-style tokenizer.json: BPE with byte fallback over text whose spaces become ▁
/// ("Metaspace"), as Hugging Face converts SentencePiece models. Two spellings exist: the 2023
/// one (normalizer Prepend("▁") + Replace(" ", "▁"), applied to every piece of text between
/// added tokens) and the later one (pre-tokenizer Metaspace with prepend_scheme first | always
/// | never). Merges go by rank; characters outside the vocabulary become <0xNN> byte tokens.
public struct MetaspaceBPETokenizer: Sendable {
    public enum Prepend: String, Sendable { case everySegment, first, never }

    public let vocab: Vocabulary
    public let idToToken: [Int: String]
    let ranks: [TokenText: Int]
    let added: AddedTokens
    let byteIDs: [Int]
    let unkID: Int?
    public let prepend: Prepend
    /// The Metaspace pre-tokenizer adds no ▁ to text that already starts with one (a leading
    /// space); the 2023 Prepend normalizer always adds it.
    let prependUnlessBlank: Bool
    /// True when every piece has ▁ only as a leading run, so no merge crosses the boundary
    /// before a ▁ that follows another character and text can be merged word by word.
    let wordwise: Bool
    public let prefixIDs: [Int]
    let cache = WordCache<[UInt8]>()

    public init(json t: JSONValue) throws {
        guard let model = t["model"], model["type"]?.stringValue == "BPE", model["byte_fallback"]?.boolValue == true else {
            throw ByteLevelBPETokenizer.LoadError(detail: "model is not BPE with byte_fallback")
        }
        let file = try BPEModelFile(json: t, keepFirstDuplicateMerge: true)
        let vocab = file.vocab
        added = file.added
        self.vocab = vocab
        idToToken = BPEModelFile.inverse(vocab)
        self.ranks = file.ranks
        var bytes = [Int](repeating: -1, count: 256)
        for b in 0..<256 {
            let hex = String(b, radix: 16, uppercase: true)
            if let id = vocab[TokenText("<0x" + (hex.count == 1 ? "0" : "") + hex + ">")] { bytes[b] = id }
        }
        byteIDs = bytes
        unkID = model["unk_token"]?.stringValue.flatMap { vocab[TokenText($0)] }

        // Where the ▁ in front of the text comes from.
        let normalizers = t["normalizer"].map { n in n["type"]?.stringValue == "Sequence" ? (n["normalizers"]?.arrayValue ?? []) : [n] } ?? []
        prependUnlessBlank = !normalizers.contains(where: { $0["type"]?.stringValue == "Prepend" })
        if normalizers.contains(where: { $0["type"]?.stringValue == "Prepend" && $0["prepend"]?.stringValue == "\u{2581}" }) {
            prepend = .everySegment
        } else if let pre = t["pre_tokenizer"], pre["type"]?.stringValue == "Metaspace" {
            switch pre["prepend_scheme"]?.stringValue ?? (pre["add_prefix_space"]?.boolValue == false ? "never" : "always") {
            case "first": prepend = .first
            case "never": prepend = .never
            default: prepend = .everySegment
            }
        } else {
            prepend = .never
        }
        wordwise = vocab.keys.allSatisfy { piece in
            let s = Array(piece.string.unicodeScalars)
            let lead = s.prefix(while: { $0 == "\u{2581}" }).count
            return !s[lead...].contains("\u{2581}")
        }
        prefixIDs = try postProcessorPrefix(t, vocab: vocab)
    }

    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var ids = addSpecialTokens ? prefixIDs : []
        let blankScalar: Unicode.Scalar = "\u{2581}"
        var word: [Unicode.Scalar] = []
        var key: [UInt8] = []
        func flush() {
            guard !word.isEmpty else { return }
            key.removeAll(keepingCapacity: true)
            for s in word { UTF8.encode(s) { key.append($0) } }
            let symbols = word
            ids += cache.ids(for: key) { bpe(symbols) }
            word.removeAll(keepingCapacity: true)
        }
        for (index, segment) in added.split(text).enumerated() {
            if let id = segment.addedID { ids.append(id); continue }
            // Spaces become ▁; a ▁ goes in front as the normalizer / pre-tokenizer says; words
            // start at a ▁ that follows something else (when the vocabulary allows merging
            // word by word), else the whole segment is one word.
            var lead = prepend == .everySegment || (prepend == .first && index == 0)
            if prependUnlessBlank, let first = segment.text.unicodeScalars.first, first == " " || first == blankScalar { lead = false }
            var previousBlank = false
            if lead { word.append(blankScalar); previousBlank = true }
            for raw in segment.text.unicodeScalars {
                let s = raw == " " ? blankScalar : raw
                let blank = s == blankScalar
                if wordwise && blank && !previousBlank { flush() }
                word.append(s)
                previousBlank = blank
            }
            flush()
        }
        return ids
    }

    /// Merges by rank (lowest first, leftmost on ties), then maps symbols to ids; a symbol
    /// outside the vocabulary becomes its UTF-8 bytes, or the unknown token (runs fused).
    func bpe(_ scalars: [Unicode.Scalar]) -> [Int] {
        let symbols = mergeByRank(scalars.map { String($0) }, ranks: ranks)
        var ids: [Int] = []
        var lastWasUnk = false
        for s in symbols {
            if let id = vocab[TokenText(s)] { ids.append(id); lastWasUnk = false; continue }
            let bytes = Array(s.utf8)
            if bytes.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                ids += bytes.map { byteIDs[Int($0)] }
                lastWasUnk = false
            } else if let unk = unkID, !lastWasUnk {
                ids.append(unk)
                lastWasUnk = true
            }
        }
        return ids
    }

    /// The decoder chain of these files: ▁ → space, runs of byte tokens → UTF-8 (each byte of
    /// an invalid run → U+FFFD), concatenated, one leading space stripped.
    public func decode(_ ids: [Int], skipSpecial: Bool = false) -> String {
        var out = ""
        var bytes: [UInt8] = []
        func flush() {
            guard !bytes.isEmpty else { return }
            if let s = String(validating: bytes, as: UTF8.self) { out += s }
            else { out += String(repeating: "\u{FFFD}", count: bytes.count) }
            bytes = []
        }
        for id in ids {
            if let a = added.byID[id] {
                if skipSpecial && a.special { continue }
                flush()
                out += a.content
                continue
            }
            guard let token = idToToken[id] else { continue }
            if let b = byteIDs.firstIndex(of: id) { bytes.append(UInt8(b)); continue }
            flush()
            out += String(String.UnicodeScalarView(token.unicodeScalars.map { $0 == "\u{2581}" ? " " : $0 }))
        }
        flush()
        if out.hasPrefix(" ") { out.removeFirst() }
        return out
    }
}
