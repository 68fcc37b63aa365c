/// The Llama 3 pre-tokenizer, written out by hand: it splits text exactly as the regex
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// does with leftmost-first alternation (as the `tokenizers` library's regex engine does), at
/// the level of Unicode scalars. \p{L} is a letter, \p{N} a number, \s Unicode White_Space.
/// With `maxDigits` 1 it is Qwen2's pattern, the same but for `\p{N}` in place of `\p{N}{1,3}`.
/// `PieceRegex` runs both patterns as written; tests hold this splitter to it.
public enum Llama3PreTokenizer {
    /// ASCII classes, looked up before asking for Unicode properties (the common case).
    static let asciiClass: [UInt8] = (0..<128).map { v -> UInt8 in
        let s = Unicode.Scalar(UInt8(v))
        if (65...90).contains(v) || (97...122).contains(v) { return 1 }   // letter
        if (48...57).contains(v) { return 2 }                               // number
        if s.properties.isWhitespace { return 3 }                           // space
        return 0
    }

    @inline(__always)
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return asciiClass[Int(s.value)] == 1 }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always)
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return asciiClass[Int(s.value)] == 2 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always)
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 { return asciiClass[Int(s.value)] == 3 }
        return s.properties.isWhitespace
    }
    static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

    /// The pieces of `text`, in order; concatenated they give `text` back.
    public static func split(_ text: String) -> [String] {
        let c = Array(text.unicodeScalars)
        var out: [String] = []
        forEachPiece(c) { range in
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: c[range])
            out.append(String(piece))
        }
        return out
    }

    /// Calls `body` with the scalar range of each piece, in order (no strings are built).
    @inline(__always)
    public static func forEachPiece(_ c: [Unicode.Scalar], maxDigits: Int = 3, _ body: (Range<Int>) -> Void) {
        var i = 0
        while i < c.count {
            let n = matchLength(c, at: i, maxDigits: maxDigits)
            body(i..<(i + n))
            i += n
        }
    }

    /// Length of the match at `i` (always ≥ 1: the last alternative or a single scalar).
    static func matchLength(_ c: [Unicode.Scalar], at i: Int, maxDigits: Int) -> Int {
        let n = c.count
        // 1. contractions, case-insensitive
        if c[i] == "'" && i + 1 < n {
            let a = Character(c[i + 1]).lowercased()
            if ["s", "t", "m", "d"].contains(a) { return 2 }
            if i + 2 < n {
                let ab = a + Character(c[i + 2]).lowercased()
                if ["re", "ve", "ll"].contains(ab) { return 3 }
            }
        }
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        do {
            var j = i
            if !isNewline(c[j]) && !isLetter(c[j]) && !isNumber(c[j]) && j + 1 < n && isLetter(c[j + 1]) { j += 1 }
            if isLetter(c[j]) {
                while j < n && isLetter(c[j]) { j += 1 }
                return j - i
            }
        }
        // 3. \p{N}{1,3} (Qwen2: \p{N})
        if isNumber(c[i]) {
            var j = i
            while j < n && j - i < maxDigits && isNumber(c[j]) { j += 1 }
            return j - i
        }
        // 4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        do {
            var j = i
            if c[j] == " " && j + 1 < n && isOther(c[j + 1]) { j += 1 }
            if isOther(c[j]) {
                while j < n && isOther(c[j]) { j += 1 }
                while j < n && isNewline(c[j]) { j += 1 }
                return j - i
            }
        }
        // Whitespace alternatives: the maximal whitespace run starting here.
        if isSpace(c[i]) {
            var end = i
            while end < n && isSpace(c[end]) { end += 1 }
            // 5. \s*[\r\n]+ : through the last newline of the run
            if let lastNewline = (i..<end).last(where: { isNewline(c[$0]) }) { return lastNewline + 1 - i }
            // 6. \s+(?!\S) : the whole run at the end of text, else all but its last scalar
            if end == n { return end - i }
            if end - i >= 2 { return end - 1 - i }
            // 7. \s+
            return end - i
        }
        return 1
    }

    /// Neither white space, letter nor number.
    static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }
}
