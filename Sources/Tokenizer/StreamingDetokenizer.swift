/// Turns generated ids into text as they arrive. A token can end inside a multi-byte character
/// (byte-level BPE, SentencePiece byte fallback), so text is released only up to the last complete
/// character: what is printed never changes afterwards, and all of it equals `decode(all ids)`.
public struct StreamingDetokenizer {
    public let tokenizer: TextTokenizer
    public private(set) var ids: [Int] = []
    /// Unicode scalars of the decoded text already handed out (scalars, not Characters: a combining
    /// mark arriving later must not merge into text already printed).
    var emitted = 0

    public init(tokenizer: TextTokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds a token; returns the newly completed text (possibly empty).
    public mutating func append(_ id: Int) -> String {
        ids.append(id)
        let text = Array(tokenizer.decode(ids, skipSpecial: true).unicodeScalars)
        // A trailing U+FFFD may be a character still missing bytes: hold it back.
        var end = text.count
        while end > emitted && text[end - 1] == "\u{FFFD}" { end -= 1 }
        guard end > emitted else { return "" }
        let out = String(String.UnicodeScalarView(text[emitted..<end]))
        emitted = end
        return out
    }

    /// Whatever is still held back (e.g. a truly invalid byte sequence at the end).
    public mutating func finish() -> String {
        let text = Array(tokenizer.decode(ids, skipSpecial: true).unicodeScalars)
        guard text.count > emitted else { return "" }
        let out = String(String.UnicodeScalarView(text[emitted...]))
        emitted = text.count
        return out
    }
}
