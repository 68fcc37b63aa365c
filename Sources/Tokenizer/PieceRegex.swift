/// The regular expressions tokenizer.json pre-tokenizers carry (`Split`'s pattern, ByteLevel's
/// GPT-2 split), parsed into a tree and matched over Unicode scalars with leftmost-first
/// alternation and backtracking, as Oniguruma (the `tokenizers` library's engine) matches them.
///
/// Supported: literals and escapes (`\r \n \t \f \v \0 \xHH \u{…}`, escaped punctuation), `.`,
/// classes `[…]` with ranges and negation, `\s \S \d \D \w \W`, `\p{…}`/`\P{…}` (L, Lu, Ll, Lt, Lm, Lo,
/// M, Mn, Mc, Me, N, Nd, Nl, No, P, S, Z and their long names), groups `(…)`, `(?:…)`, `(?i:…)`, `(?i)`,
/// lookahead `(?=…)`/`(?!…)`, quantifiers `? * + {m} {m,} {m,n}` (greedy, or lazy with `?`) and
/// possessive `++ *+ ?+`. Anything else is refused by name with its position.
public struct PieceRegex: Sendable {
    public let pattern: String
    let root: RegexNode

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let pattern: String
        public let position: Int
        public let detail: String
        public var description: String { "pre-tokenizer regex \(pattern.debugDescription): \(detail) at scalar \(position)" }
    }

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var parser = RegexParser(pattern: pattern)
        root = try parser.parseWhole()
    }

    /// The length of the match starting at `i` (nil when none starts there).
    public func matchLength(_ text: [Unicode.Scalar], at i: Int) -> Int? {
        var end: Int? = nil
        _ = RegexMatcher(text: text).match(root, i) { e in end = e; return true }
        return end.map { $0 - i }
    }

    /// Every non-empty, non-overlapping match, leftmost first (an empty match moves on one scalar).
    public func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < text.count {
            if let n = matchLength(text, at: i), n > 0 {
                out.append(i..<(i + n))
                i += n
            } else {
                i += 1
            }
        }
        return out
    }
}

/// A set of scalars: ranges, named classes, and their negation.
struct ScalarSet: Sendable {
    enum Item: Sendable {
        case range(UInt32, UInt32)
        case category(UnicodeClass, negated: Bool)
    }
    var items: [Item] = []
    var negated = false
    var caseless = false

    func contains(_ s: Unicode.Scalar) -> Bool {
        var hit = items.contains { item in
            switch item {
            case let .range(lo, hi): return (lo...hi).contains(s.value)
            case let .category(c, neg): return c.contains(s) != neg
            }
        }
        if !hit && caseless {
            let folded = RegexNode.fold(s)
            if folded != s { hit = contains(folded, uncased: true) }
            if !hit, let upper = s.properties.uppercaseMapping.unicodeScalars.first,
               s.properties.uppercaseMapping.unicodeScalars.count == 1, upper != s {
                hit = contains(upper, uncased: true)
            }
        }
        return hit != negated
    }

    private func contains(_ s: Unicode.Scalar, uncased: Bool) -> Bool {
        var copy = self
        copy.caseless = false
        copy.negated = false
        return copy.contains(s)
    }
}

/// The named classes: general categories by their one- or two-letter names, and the escapes.
enum UnicodeClass: Sendable, Equatable {
    case categories(Set<String>)   // two-letter general category names, e.g. ["Lu", "Ll"]
    case space, digit, word, newlineExcluded

    static let groups: [String: [String]] = [
        "L": ["Lu", "Ll", "Lt", "Lm", "Lo"], "M": ["Mn", "Mc", "Me"], "N": ["Nd", "Nl", "No"],
        "P": ["Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"], "S": ["Sm", "Sc", "Sk", "So"], "Z": ["Zs", "Zl", "Zp"],
        "C": ["Cc", "Cf", "Cs", "Co", "Cn"],
    ]
    static let longNames: [String: String] = [
        "Letter": "L", "Mark": "M", "Number": "N", "Punctuation": "P", "Symbol": "S", "Separator": "Z", "Other": "C",
        "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Titlecase_Letter": "Lt", "Modifier_Letter": "Lm",
        "Other_Letter": "Lo", "Decimal_Number": "Nd", "Letter_Number": "Nl", "Other_Number": "No",
    ]

    /// `\p{name}`'s class, or nil for a name not supported.
    static func property(_ name: String) -> UnicodeClass? {
        let short = longNames[name] ?? name
        if let g = groups[short] { return .categories(Set(g)) }
        if groups.values.contains(where: { $0.contains(short) }) { return .categories([short]) }
        return nil
    }

    func contains(_ s: Unicode.Scalar) -> Bool {
        switch self {
        case .categories(let names): return names.contains(Self.name(of: s.properties.generalCategory))
        case .space: return s.properties.isWhitespace
        case .digit: return s.properties.generalCategory == .decimalNumber
        case .word:
            switch s.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
                 .connectorPunctuation: return true
            default: return false
            }
        case .newlineExcluded: return s != "\n"
        }
    }

    static func name(of c: Unicode.GeneralCategory) -> String {
        switch c {
        case .uppercaseLetter: return "Lu"
        case .lowercaseLetter: return "Ll"
        case .titlecaseLetter: return "Lt"
        case .modifierLetter: return "Lm"
        case .otherLetter: return "Lo"
        case .nonspacingMark: return "Mn"
        case .spacingMark: return "Mc"
        case .enclosingMark: return "Me"
        case .decimalNumber: return "Nd"
        case .letterNumber: return "Nl"
        case .otherNumber: return "No"
        case .connectorPunctuation: return "Pc"
        case .dashPunctuation: return "Pd"
        case .openPunctuation: return "Ps"
        case .closePunctuation: return "Pe"
        case .initialPunctuation: return "Pi"
        case .finalPunctuation: return "Pf"
        case .otherPunctuation: return "Po"
        case .mathSymbol: return "Sm"
        case .currencySymbol: return "Sc"
        case .modifierSymbol: return "Sk"
        case .otherSymbol: return "So"
        case .spaceSeparator: return "Zs"
        case .lineSeparator: return "Zl"
        case .paragraphSeparator: return "Zp"
        case .control: return "Cc"
        case .format: return "Cf"
        case .surrogate: return "Cs"
        case .privateUse: return "Co"
        case .unassigned: return "Cn"
        @unknown default: return "Cn"
        }
    }
}
