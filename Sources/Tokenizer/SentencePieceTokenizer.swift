/// SentencePiece BPE encoding and decoding (Llama 2 style) from a `tokenizer.model`: spaces
/// become ▁, a ▁ is prepended when the model says so, characters are merged pairwise by the
/// highest piece score (leftmost on ties), and what is left outside the vocabulary falls back
/// to byte pieces <0xNN> (or the unknown piece).
public struct SentencePieceTokenizer: Sendable {
    public let model: SentencePieceModel
    let pieceIDs: [TokenText: Int]
    let byteIDs: [Int]   // piece id of <0x00>…<0xFF>, or -1
    let cache = WordCache<TokenText>()

    public init(_ model: SentencePieceModel) {
        self.model = model
        var ids: [TokenText: Int] = [:]
        for (i, p) in model.pieces.enumerated() where p.type == 1 || p.type == 4 { ids[TokenText(p.text)] = ids[TokenText(p.text)] ?? i }
        pieceIDs = ids
        var bytes = [Int](repeating: -1, count: 256)
        for (i, p) in model.pieces.enumerated() where p.type == 6 {
            let hex = p.text.dropFirst(3).dropLast()
            if p.text.hasPrefix("<0x"), let v = UInt8(hex, radix: 16) { bytes[Int(v)] = i }
        }
        byteIDs = bytes
    }

    public func encode(_ text: String) -> [Int] {
        guard !text.isEmpty else { return [] }
        let normalized = ((model.addDummyPrefix ? "▁" : "") + text.replacingSpaces()).unicodeScalars
        // SentencePiece splits into words before merging (split_by_whitespace): a word starts at a
        // ▁ that follows something else, so no piece spans two words and each word merges alone.
        var ids: [Int] = []
        var word: [String] = []
        var previousWasBlank = false
        for s in normalized {
            let blank = s == "\u{2581}"
            if blank && !previousWasBlank && !word.isEmpty {
                ids += cachedWord(word)
                word = []
            }
            word.append(String(s))
            previousWasBlank = blank
        }
        if !word.isEmpty { ids += cachedWord(word) }
        return ids
    }

    func cachedWord(_ characters: [String]) -> [Int] {
        cache.ids(for: TokenText(characters.joined())) { encodeWord(characters) }
    }

    /// Merges one word's characters by piece score and maps them to ids (with byte fallback).
    func encodeWord(_ characters: [String]) -> [Int] {
        var symbols = characters
        while symbols.count > 1 {
            var best = -1
            var bestScore = -Float.infinity
            for k in 0..<(symbols.count - 1) {
                if let id = pieceIDs[TokenText(symbols[k] + symbols[k + 1])] {
                    let score = model.pieces[id].score
                    if score > bestScore { bestScore = score; best = k }
                }
            }
            if best < 0 { break }
            symbols[best] += symbols[best + 1]
            symbols.remove(at: best + 1)
        }
        var ids: [Int] = []
        for s in symbols {
            if let id = pieceIDs[TokenText(s)] { ids.append(id); continue }
            let fallback = s.utf8.map { byteIDs[Int($0)] }
            if fallback.allSatisfy({ $0 >= 0 }) { ids += fallback } else { ids.append(model.unkID) }
        }
        return ids
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < model.pieces.count {
            let p = model.pieces[id]
            switch p.type {
            case 6:
                if let v = UInt8(p.text.dropFirst(3).dropLast(), radix: 16) { bytes.append(v) }
            case 1, 4:
                bytes += Array(p.text.replacingOccurrencesOfBlank().utf8)
            case 2:
                bytes += Array(" ⁇ ".utf8)
            default:
                break
            }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if model.addDummyPrefix && text.hasPrefix(" ") { text.removeFirst() }
        return text
    }
}

extension String {
    func replacingSpaces() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == " " ? "\u{2581}" : $0 }))
    }

    func replacingOccurrencesOfBlank() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{2581}" ? " " : $0 }))
    }
}
