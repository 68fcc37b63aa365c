import TensorIO

/// A tokenizer.json `pre_tokenizer` for byte-level BPE, as the file states it: `Split` (a
/// regex or a literal, any of the five behaviors, inverted or not), `ByteLevel` (optional prefix
/// space, optional GPT-2 split), `Digits` and `Sequence` — applied as the `tokenizers` library
/// applies them, each step splitting every piece the previous one left. Other components are
/// refused by name. Llama 3's and Qwen2's exact Split patterns run through a hand-written
/// splitter (`Llama3PreTokenizer`), tested against the regex engine.
public indirect enum PreTokenizer: Sendable {
    public enum Behavior: String, Sendable {
        case isolated = "Isolated", removed = "Removed", mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
    }
    case split(PieceRegex, Behavior, invert: Bool)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case digits(individual: Bool)
    case sequence([PreTokenizer])
    /// Split(Llama 3's or Qwen2's pattern, Isolated) then ByteLevel without its own split: the
    /// hand-written splitter, digits grouped up to `maxDigits`.
    case fast(maxDigits: Int)

    public static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    public static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// ByteLevel's own split (`use_regex`), GPT-2's pattern.
    public static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let gpt2 = try! PieceRegex(gpt2Pattern)

    static func refuse(_ detail: String) -> ByteLevelBPETokenizer.LoadError { .init(detail: "pre_tokenizer: \(detail)") }

    /// The file's pre-tokenizer. Byte-level BPE needs a ByteLevel step, last (it maps bytes to
    /// the alphabet the vocabulary is written in).
    public static func read(_ json: JSONValue?) throws -> PreTokenizer {
        guard let json, json != .null else { throw refuse("none given; byte-level BPE needs a ByteLevel pre-tokenizer") }
        let p = try parse(json)
        let steps: [PreTokenizer]
        if case .sequence(let s) = p { steps = s } else { steps = [p] }
        guard case .byteLevel(let prefix, let useRegex)? = steps.last else {
            throw refuse("byte-level BPE needs a ByteLevel pre-tokenizer as its last step")
        }
        if steps.dropLast().contains(where: { if case .byteLevel = $0 { return true }; return false }) {
            throw refuse("ByteLevel appears more than once")
        }
        if steps.count == 2, !prefix, !useRegex, case let .split(regex, .isolated, false) = steps[0] {
            if regex.pattern == llama3Pattern { return .fast(maxDigits: 3) }
            if regex.pattern == qwen2Pattern { return .fast(maxDigits: 1) }
        }
        return p
    }

    static func parse(_ j: JSONValue) throws -> PreTokenizer {
        guard let type = j["type"]?.stringValue else { throw refuse("a component has no type") }
        switch type {
        case "Sequence":
            guard let list = j["pretokenizers"]?.arrayValue else { throw refuse("Sequence has no pretokenizers list") }
            return .sequence(try list.map(parse))
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: j["add_prefix_space"]?.boolValue ?? true, useRegex: j["use_regex"]?.boolValue ?? true)
        case "Digits":
            return .digits(individual: j["individual_digits"]?.boolValue ?? false)
        case "Split":
            let behaviorName = j["behavior"]?.stringValue ?? ""
            guard let behavior = Behavior(rawValue: behaviorName) else { throw refuse("Split behavior \(behaviorName.debugDescription) is not known") }
            let regex: PieceRegex
            if let r = j["pattern"]?["Regex"]?.stringValue {
                do { regex = try PieceRegex(r) } catch { throw refuse("\(error)") }
            } else if let s = j["pattern"]?["String"]?.stringValue, !s.isEmpty {
                regex = PieceRegex(literal: s)
            } else {
                throw refuse("Split needs a pattern {\"Regex\": …} or {\"String\": …}")
            }
            return .split(regex, behavior, invert: j["invert"]?.boolValue ?? false)
        default:
            throw refuse("\(type) is not supported (supported: Split, ByteLevel, Digits, Sequence)")
        }
    }

    /// The pieces of one run of text (added tokens already cut out), in order.
    public func pieces(_ text: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        apply([text]).filter { !$0.isEmpty }
    }

    func apply(_ pieces: [[Unicode.Scalar]]) -> [[Unicode.Scalar]] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.apply($0) }
        case let .fast(maxDigits):
            return pieces.flatMap { p in
                var out: [[Unicode.Scalar]] = []
                Llama3PreTokenizer.forEachPiece(p, maxDigits: maxDigits) { out.append(Array(p[$0])) }
                return out
            }
        case let .split(regex, behavior, invert):
            return pieces.flatMap { p in Self.split(p, matches: regex.matches(in: p), behavior, invert: invert) }
        case let .byteLevel(addPrefixSpace, useRegex):
            return pieces.flatMap { p -> [[Unicode.Scalar]] in
                if p.isEmpty { return [] }  // an empty run gets no prefix space (tokenizers skips it)
                let q = addPrefixSpace && p.first != " " ? [" "] + p : p
                return useRegex ? Self.split(q, matches: Self.gpt2.matches(in: q), .isolated, invert: false) : [q]
            }
        case .digits(let individual):
            return pieces.flatMap { p -> [[Unicode.Scalar]] in
                let numeric = p.indices.filter { Self.isNumeric(p[$0]) }.map { $0..<($0 + 1) }
                return Self.split(p, matches: numeric, individual ? .isolated : .contiguous, invert: false)
            }
        }
    }

    /// Rust's `char::is_numeric` (what `Digits` tests): Nd, Nl and No.
    static func isNumeric(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// One piece cut at `matches` (sorted, disjoint), the matches and the gaps between them
    /// combined as `tokenizers`' SplitDelimiterBehavior does.
    static func split(_ p: [Unicode.Scalar], matches: [Range<Int>], _ behavior: Behavior, invert: Bool) -> [[Unicode.Scalar]] {
        var parts: [(Range<Int>, Bool)] = []
        var prev = 0
        for m in matches {
            if prev < m.lowerBound { parts.append((prev..<m.lowerBound, invert)) }
            parts.append((m, !invert))
            prev = m.upperBound
        }
        if prev < p.count { parts.append((prev..<p.count, invert)) }
        var out: [Range<Int>] = []
        var previousMatch = false
        switch behavior {
        case .isolated:
            out = parts.map(\.0)
        case .removed:
            out = parts.filter { !$0.1 }.map(\.0)
        case .mergedWithPrevious:
            for (r, isMatch) in parts {
                if isMatch && !previousMatch, let last = out.last { out[out.count - 1] = last.lowerBound..<r.upperBound } else { out.append(r) }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            for (r, isMatch) in parts.reversed() {
                if isMatch && !previousMatch, let last = out.last { out[out.count - 1] = r.lowerBound..<last.upperBound } else { out.append(r) }
                previousMatch = isMatch
            }
            out.reverse()
        case .contiguous:
            for (r, isMatch) in parts {
                if isMatch == previousMatch, let last = out.last { out[out.count - 1] = last.lowerBound..<r.upperBound } else { out.append(r) }
                previousMatch = isMatch
            }
        }
        return out.map { Array(p[$0]) }
    }
}

extension PieceRegex {
    /// A pattern matching `literal` exactly (Split's {"String": …}).
    init(literal: String) {
        pattern = literal
        root = .sequence(literal.unicodeScalars.map { .scalar($0, caseless: false) })
    }
}
