/// Why a chat template cannot be parsed or rendered, with the line it happened on.
public struct TemplateError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let line: Int?
    public init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }
    public var description: String { line.map { "chat template line \($0): \(message)" } ?? "chat template: \(message)" }
}

/// One piece of template source: literal text, a `{{ … }}` or a `{% … %}` (comments are dropped).
enum TemplatePiece: Equatable {
    case text(String)
    case output(String, line: Int)
    case statement(String, line: Int)
}

/// Cuts template source into pieces and applies Jinja's whitespace control as transformers
/// configures it (`trim_blocks` and `lstrip_blocks` on): a block or comment tag drops the
/// newline right after it and the spaces before it on its line; `-` strips all whitespace on
/// that side; `{%+` keeps the spaces before it.
enum TemplateLexer {
    static func pieces(_ source: String) throws -> [TemplatePiece] {
        let b = normalizedNewlines(Array(source.utf8))
        var out: [TemplatePiece] = []
        var pos = 0
        var stripNext = false      // the previous tag ended with "-"
        var trimNewline = false    // the previous tag was a block or comment (trim_blocks)
        var line = 1
        var lineStarting = true    // Jinja's line_starting: the last tag's match ended with a newline
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 || c == 11 || c == 12 }

        while pos <= b.count {
            var k = pos
            while k + 1 < b.count, !(b[k] == UInt8(ascii: "{") && [UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "#")].contains(b[k + 1])) { k += 1 }
            let found = k + 1 < b.count
            var text = Array(b[pos..<(found ? k : b.count)])
            let before = text.count
            var consumedNewline = false
            if stripNext {
                let kept = Array(text.drop(while: isSpace))
                consumedNewline = kept.count < before && text[before - kept.count - 1] == 10
                text = kept
            } else if trimNewline {
                if text.first == 10 { text.removeFirst() } else if text.starts(with: [13, 10]) { text.removeFirst(2) }
                consumedNewline = text.count < before
            }
            if pos > 0 { lineStarting = consumedNewline }
            guard found else {
                if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
                break
            }
            let kind = b[k + 1]
            var start = k + 2
            let flag: UInt8? = start < b.count && (b[start] == UInt8(ascii: "-") || b[start] == UInt8(ascii: "+")) ? b[start] : nil
            if flag != nil { start += 1 }
            if flag == UInt8(ascii: "-") {
                while let last = text.last, isSpace(last) { text.removeLast() }
            } else if kind != UInt8(ascii: "{") && flag != UInt8(ascii: "+") {
                // lstrip_blocks: spaces and tabs between the line start and the tag go.
                var j = text.count
                while j > 0, text[j - 1] == 32 || text[j - 1] == 9 { j -= 1 }
                if j == 0 ? lineStarting : text[j - 1] == 10 { text.removeSubrange(j...) }
            }
            if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
            line += b[pos..<k].filter { $0 == 10 }.count
            let tagLine = line

            let close: UInt8 = kind == UInt8(ascii: "{") ? UInt8(ascii: "}") : kind
            guard let end = closing(b, from: start, close: close, quotes: kind != UInt8(ascii: "#")) else {
                throw TemplateError("a tag opened here is never closed", line: tagLine)
            }
            var innerEnd = end
            stripNext = end > start && b[end - 1] == UInt8(ascii: "-")
            if stripNext { innerEnd -= 1 }
            let inner = String(decoding: b[start..<max(start, innerEnd)], as: UTF8.self)
            line += b[k..<end].filter { $0 == 10 }.count
            switch kind {
            case UInt8(ascii: "{"): out.append(.output(inner, line: tagLine))
            case UInt8(ascii: "%"): out.append(.statement(inner, line: tagLine))
            default: break
            }
            trimNewline = kind != UInt8(ascii: "{")
            pos = end + 2
        }
        return out
    }

    /// Jinja's lexer first: every "\r\n", "\r" and "\n" becomes "\n", and one newline at the very
    /// end is dropped (`keep_trailing_newline` is off in transformers' environment).
    static func normalizedNewlines(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 13 {
                out.append(10)
                i += (i + 1 < b.count && b[i + 1] == 10) ? 2 : 1
            } else {
                out.append(b[i])
                i += 1
            }
        }
        if out.last == 10 { out.removeLast() }
        return out
    }

    /// The index of the closing `}}`, `%}` or `#}`, skipping quoted strings and bracketed parts
    /// inside expressions.
    static func closing(_ b: [UInt8], from: Int, close: UInt8, quotes: Bool) -> Int? {
        var i = from
        var quote: UInt8? = nil
        var depth = 0  // Jinja balances brackets: `{"b": {"c": 1}}` does not end a tag early
        while i + 1 < b.count {
            let c = b[i]
            if let q = quote {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == q { quote = nil }
            } else if quotes && (c == UInt8(ascii: "'") || c == UInt8(ascii: "\"")) {
                quote = c
            } else if quotes && (c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{")) {
                depth += 1
            } else if depth == 0 && c == close && b[i + 1] == UInt8(ascii: "}") {
                return i
            } else if quotes && depth > 0 && (c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}")) {
                depth -= 1
            }
            i += 1
        }
        return nil
    }
}
