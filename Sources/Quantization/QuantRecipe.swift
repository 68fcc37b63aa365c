/// Which scheme each Linear layer gets. Rules are glob patterns over a layer's slot prefix
/// (`llm.layers.3.mlp.down`; `*` matches anything, dots included); later rules win.
///
/// Defaults: the language model's attention and MLP projections get the default scheme;
/// the vision tower, the projector, the embeddings and `lm_head` stay float.
public struct QuantRecipe: Sendable, CustomStringConvertible {
    public enum Action: Sendable, Equatable {
        case keep
        case quantize(QuantScheme)
    }

    public struct Rule: Sendable, Equatable {
        public let pattern: String
        public let action: Action
    }

    public var rules: [Rule]

    public init(defaultScheme: QuantScheme) {
        rules = [
            Rule(pattern: "llm.layers.*.attn.*", action: .quantize(defaultScheme)),
            Rule(pattern: "llm.layers.*.mlp.*", action: .quantize(defaultScheme)),
        ]
    }

    public mutating func keep(_ pattern: String) { rules.append(Rule(pattern: pattern, action: .keep)) }

    public mutating func set(_ pattern: String, _ scheme: QuantScheme) { rules.append(Rule(pattern: pattern, action: .quantize(scheme))) }

    /// Parses `PATTERN=SCHEME` as given to `--scheme-for`.
    public mutating func addSchemeRule(_ text: String) throws {
        guard let eq = text.lastIndex(of: "="), let scheme = QuantScheme(String(text[text.index(after: eq)...])),
              eq != text.startIndex else {
            throw RecipeError(text: text)
        }
        set(String(text[..<eq]), scheme)
    }

    /// The scheme for one Linear layer, or nil to keep it float.
    public func scheme(for prefix: String) -> QuantScheme? {
        var result: QuantScheme? = nil
        for rule in rules where Self.glob(rule.pattern, matches: prefix) {
            switch rule.action {
            case .keep: result = nil
            case .quantize(let s): result = s
            }
        }
        return result
    }

    public var description: String {
        rules.map { r in
            switch r.action {
            case .keep: return "\(r.pattern)=keep"
            case .quantize(let s): return "\(r.pattern)=\(s)"
            }
        }.joined(separator: ", ")
    }

    /// `*` matches any run of characters; everything else matches itself.
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] == t[ti] && p[pi] != UInt8(ascii: "*") {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

public struct RecipeError: Error, CustomStringConvertible {
    public let text: String
    public var description: String {
        "--scheme-for expects PATTERN=SCHEME with SCHEME one of int8, int4-g32, int4-g64, int4-g128 (add -sym for symmetric), found '\(text)'"
    }
}
