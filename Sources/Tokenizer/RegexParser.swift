/// The tree PieceRegex matches.
indirect enum RegexNode: Sendable {
    case scalar(Unicode.Scalar, caseless: Bool)
    case set(ScalarSet)
    case sequence([RegexNode])
    case alternation([RegexNode])
    /// max nil: unbounded. possessive: no backtracking into the repetition.
    case repetition(RegexNode, min: Int, max: Int?, greedy: Bool, possessive: Bool)
    case lookahead(RegexNode, negative: Bool)

    /// Simple lowercase of one scalar (the case folding `(?i)` compares with).
    static func fold(_ s: Unicode.Scalar) -> Unicode.Scalar {
        let l = s.properties.lowercaseMapping.unicodeScalars
        return l.count == 1 ? l.first! : s
    }
}

/// Recursive-descent parser of PieceRegex's syntax.
struct RegexParser {
    let pattern: String
    let c: [Unicode.Scalar]
    var i = 0
    var caseless = false

    init(pattern: String) {
        self.pattern = pattern
        c = Array(pattern.unicodeScalars)
    }

    func fail(_ detail: String) -> PieceRegex.ParseError { .init(pattern: pattern, position: i, detail: detail) }
    var atEnd: Bool { i >= c.count }
    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < c.count ? c[i + k] : nil }

    mutating func parseWhole() throws -> RegexNode {
        let node = try parseAlternation()
        if !atEnd { throw fail("unbalanced ')'") }
        return node
    }

    mutating func parseAlternation() throws -> RegexNode {
        var branches = [try parseSequence()]
        while peek() == "|" {
            i += 1
            branches.append(try parseSequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseSequence() throws -> RegexNode {
        var items: [RegexNode] = []
        let saved = caseless
        defer { caseless = saved }
        while let s = peek(), s != "|", s != ")" {
            if s == "(", peek(1) == "?", peek(2) == "i", peek(3) == ")" {  // (?i) to the end of the group
                i += 4
                caseless = true
                continue
            }
            let atom = try parseAtom()
            items.append(try parseQuantifier(atom))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    mutating func parseQuantifier(_ atom: RegexNode) throws -> RegexNode {
        var bounds: (Int, Int?)
        switch peek() {
        case "?": bounds = (0, 1); i += 1
        case "*": bounds = (0, nil); i += 1
        case "+": bounds = (1, nil); i += 1
        case "{":
            guard let b = try parseBraces() else { return atom }
            bounds = b
        default: return atom
        }
        var greedy = true, possessive = false
        if peek() == "?" { greedy = false; i += 1 } else if peek() == "+" { possessive = true; i += 1 }
        if let next = peek(), "?*+".unicodeScalars.contains(next) { throw fail("nested quantifier") }
        return .repetition(atom, min: bounds.0, max: bounds.1, greedy: greedy, possessive: possessive)
    }

    /// `{m}`, `{m,}`, `{m,n}`; nil (a literal brace follows) when it is not a quantifier.
    mutating func parseBraces() throws -> (Int, Int?)? {
        var j = i + 1
        func number() -> Int? {
            var v: Int? = nil
            while j < c.count, let d = Int(String(c[j])), c[j].isASCII { v = (v ?? 0) * 10 + d; j += 1 }
            return v
        }
        guard let lo = number() else { return nil }
        var hi: Int? = lo
        if j < c.count, c[j] == "," { j += 1; hi = number() }
        guard j < c.count, c[j] == "}" else { return nil }
        if let hi, hi < lo { throw fail("quantifier {\(lo),\(hi)} has its bounds reversed") }
        i = j + 1
        return (lo, hi)
    }

    mutating func parseAtom() throws -> RegexNode {
        let s = c[i]
        switch s {
        case "(":
            i += 1
            var kind = "group"
            if peek() == "?" {
                switch (peek(1), peek(2)) {
                case (":", _): i += 2
                case ("=", _): i += 2; kind = "ahead"
                case ("!", _): i += 2; kind = "not-ahead"
                case ("i", ":"): i += 3; kind = "caseless"
                default: throw fail("group construct (?\(peek(1).map { String($0) } ?? "") is not supported")
                }
            }
            let saved = caseless
            if kind == "caseless" { caseless = true }
            let inner = try parseAlternation()
            caseless = saved
            guard peek() == ")" else { throw fail("missing ')'") }
            i += 1
            switch kind {
            case "ahead": return .lookahead(inner, negative: false)
            case "not-ahead": return .lookahead(inner, negative: true)
            default: return inner
            }
        case "[":
            return .set(try parseClass())
        case ".":
            i += 1
            var set = ScalarSet()
            set.items = [.category(.newlineExcluded, negated: false)]
            return .set(set)
        case "\\":
            return try parseEscape(inClass: false)
        case "^", "$":
            throw fail("anchor '\(s)' is not supported")
        case "*", "+", "?":
            throw fail("quantifier '\(s)' with nothing to repeat")
        default:
            i += 1
            return .scalar(s, caseless: caseless)
        }
    }

    /// After a backslash: a class escape (as a set) or a literal scalar.
    mutating func parseEscape(inClass: Bool) throws -> RegexNode {
        i += 1
        guard let e = peek() else { throw fail("pattern ends in a backslash") }
        i += 1
        func category(_ c: UnicodeClass, _ negated: Bool) -> RegexNode {
            var set = ScalarSet()
            set.items = [.category(c, negated: negated)]
            return .set(set)
        }
        switch e {
        case "s": return category(.space, false)
        case "S": return category(.space, true)
        case "d": return category(.digit, false)
        case "D": return category(.digit, true)
        case "w": return category(.word, false)
        case "W": return category(.word, true)
        case "p", "P":
            guard peek() == "{", let close = c[i...].firstIndex(of: "}") else { throw fail("\\\(e) needs {name}") }
            var name = String(String.UnicodeScalarView(c[(i + 1)..<close]))
            i = close + 1
            var negated = e == "P"
            if name.hasPrefix("^") { negated.toggle(); name.removeFirst() }
            guard let cls = UnicodeClass.property(name) else { throw fail("Unicode property \\p{\(name)} is not supported") }
            return category(cls, negated)
        case "r": return .scalar("\r", caseless: false)
        case "n": return .scalar("\n", caseless: false)
        case "t": return .scalar("\t", caseless: false)
        case "f": return .scalar("\u{0C}", caseless: false)
        case "v": return .scalar("\u{0B}", caseless: false)
        case "0": return .scalar("\0", caseless: false)
        case "x", "u":
            var digits = ""
            if peek() == "{" {
                guard let close = c[i...].firstIndex(of: "}") else { throw fail("\\\(e){ without '}'") }
                digits = String(String.UnicodeScalarView(c[(i + 1)..<close]))
                i = close + 1
            } else {
                let n = e == "x" ? 2 : 4
                guard i + n <= c.count else { throw fail("\\\(e) needs \(n) hex digits") }
                digits = String(String.UnicodeScalarView(c[i..<(i + n)]))
                i += n
            }
            guard let v = UInt32(digits, radix: 16), let s = Unicode.Scalar(v) else { throw fail("bad escape \\\(e)\(digits)") }
            return .scalar(s, caseless: caseless)
        default:
            if e.properties.isAlphabetic || ("0"..."9").contains(e) {
                throw fail("escape \\\(e) is not supported")
            }
            return .scalar(e, caseless: caseless)  // escaped punctuation
        }
    }

    mutating func parseClass() throws -> ScalarSet {
        i += 1
        var set = ScalarSet()
        set.caseless = caseless
        if peek() == "^" { set.negated = true; i += 1 }
        var first = true
        while true {
            guard let s = peek() else { throw fail("missing ']'") }
            if s == "]" && !first { i += 1; break }
            first = false
            if s == "[" { throw fail("nested class or POSIX bracket is not supported") }
            var lo: Unicode.Scalar
            if s == "\\" {
                switch try parseEscape(inClass: true) {
                case .set(let inner): set.items += inner.items; continue
                case .scalar(let v, _): lo = v
                default: throw fail("unexpected escape in class")
                }
            } else {
                lo = s
                i += 1
            }
            if peek() == "-", let next = peek(1), next != "]" {
                i += 1
                var hi: Unicode.Scalar
                if next == "\\" {
                    guard case .scalar(let v, _) = try parseEscape(inClass: true) else { throw fail("class range ends in a class") }
                    hi = v
                } else {
                    hi = next
                    i += 1
                }
                guard hi.value >= lo.value else { throw fail("class range \(lo)-\(hi) is reversed") }
                set.items.append(.range(lo.value, hi.value))
            } else {
                set.items.append(.range(lo.value, lo.value))
            }
        }
        return set
    }
}
