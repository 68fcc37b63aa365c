/// The parsed template: statements over expressions, as Jinja's own node types name them.
indirect enum TemplateNode {
    case text(String)
    case output(TemplateExpr, line: Int)
    /// `if` / `elif` branches in order, then the `else` body.
    case conditional([(TemplateExpr, [TemplateNode])], otherwise: [TemplateNode])
    case loop(TemplateLoop)
    case assign(AssignTarget, TemplateExpr, line: Int)
    /// `{% set name %}…{% endset %}`: the rendered body becomes a string.
    case assignBlock(AssignTarget, [TemplateNode])
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}

struct TemplateLoop {
    var targets: [String]
    var iterable: TemplateExpr
    var filter: TemplateExpr?
    var body: [TemplateNode]
    var otherwise: [TemplateNode]
    var line: Int
}

enum AssignTarget {
    case names([String])
    case attribute(String, String)
}

indirect enum TemplateExpr {
    case literal(TemplateValue)
    case name(String)
    case attribute(TemplateExpr, String)
    case item(TemplateExpr, TemplateExpr)
    case slice(TemplateExpr, TemplateExpr?, TemplateExpr?, TemplateExpr?)
    case call(TemplateExpr, [TemplateExpr], [(String, TemplateExpr)])
    case filter(TemplateExpr, String, [TemplateExpr], [(String, TemplateExpr)])
    case test(TemplateExpr, String, [TemplateExpr], negated: Bool)
    case unary(String, TemplateExpr)
    case binary(String, TemplateExpr, TemplateExpr)
    case and(TemplateExpr, TemplateExpr)
    case or(TemplateExpr, TemplateExpr)
    case not(TemplateExpr)
    case conditional(TemplateExpr, then: TemplateExpr, otherwise: TemplateExpr?)
    case list([TemplateExpr])
    case dict([(TemplateExpr, TemplateExpr)])
}

/// Tokens of the expression language inside `{{ }}` and `{% %}`.
enum ExprToken: Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case float(Double)
    case op(String)
}

enum ExprLexer {
    static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                            "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"]

    static func tokens(_ source: String, line: Int) throws -> [ExprToken] {
        let s = Array(source.unicodeScalars)
        var out: [ExprToken] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c == "_" || c.properties.isAlphabetic {
                var j = i
                while j < s.count, s[j] == "_" || s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) { j += 1 }
                out.append(.name(String(String.UnicodeScalarView(s[i..<j]))))
                i = j
            } else if ("0"..."9").contains(c) {
                var j = i
                var isFloat = false
                while j < s.count, ("0"..."9").contains(s[j]) || s[j] == "_" || (s[j] == "." && !isFloat && j + 1 < s.count && ("0"..."9").contains(s[j + 1])) {
                    if s[j] == "." { isFloat = true }
                    j += 1
                }
                let digits = String(String.UnicodeScalarView(s[i..<j])).replacingOccurrences(of: "_", with: "")
                if isFloat {
                    out.append(.float(Double(digits) ?? .nan))
                } else {
                    guard let n = Int(digits) else { throw TemplateError("the integer \(digits) does not fit in 64 bits", line: line) }
                    out.append(.int(n))
                }
                i = j
            } else if c == "'" || c == "\"" {
                var j = i + 1
                var text = ""
                while j < s.count, s[j] != c {
                    if s[j] == "\\", j + 1 < s.count {
                        let (scalar, used) = try escape(s, at: j + 1, line: line)
                        text.unicodeScalars.append(contentsOf: scalar)
                        j += 1 + used
                    } else {
                        text.unicodeScalars.append(s[j])
                        j += 1
                    }
                }
                guard j < s.count else { throw TemplateError("a string literal is not closed", line: line) }
                out.append(.string(text))
                i = j + 1
            } else if let op = operators.first(where: { op in op.unicodeScalars.elementsEqual(s[i..<min(s.count, i + op.unicodeScalars.count)]) }) {
                out.append(.op(op))
                i += op.unicodeScalars.count
            } else {
                throw TemplateError("unexpected character \"\(c)\" in an expression", line: line)
            }
        }
        // Operator chains build trees as deep as they are long; a tag this long is no chat template.
        guard out.count <= Limits.tokensPerTag else {
            throw TemplateError("a tag of \(out.count) tokens is longer than vlmkit allows (\(Limits.tokensPerTag))", line: line)
        }
        return out
    }

    /// Python's string escapes (Jinja decodes literals with "unicode-escape").
    static func escape(_ s: [Unicode.Scalar], at i: Int, line: Int) throws -> ([Unicode.Scalar], Int) {
        let simple: [Unicode.Scalar: Unicode.Scalar] = ["n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", "\"": "\"",
                                                        "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "v": "\u{0B}", "0": "\u{00}"]
        if let v = simple[s[i]] { return ([v], 1) }
        let width = s[i] == "x" ? 2 : s[i] == "u" ? 4 : s[i] == "U" ? 8 : 0
        if width > 0, i + width < s.count,
           let code = UInt32(String(String.UnicodeScalarView(s[(i + 1)...(i + width)])), radix: 16), let u = Unicode.Scalar(code) {
            return ([u], 1 + width)
        }
        if s[i] == "\n" { return ([], 1) }
        return (["\\", s[i]], 1)
    }
}
