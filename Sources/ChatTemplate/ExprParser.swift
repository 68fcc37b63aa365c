/// Jinja's expression grammar, precedence lowest first: `a if c else b`, `or`, `and`, `not`,
/// comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `-`, then filters (`|`), tests
/// (`is`), calls, attributes and subscripts.
struct ExprParser {
    var tokens: [ExprToken]
    var pos = 0
    let line: Int

    var depth = 0

    init(_ tokens: [ExprToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    /// Recursion guard: a hostile template nests brackets or prefix operators without end.
    mutating func enter() throws {
        depth += 1
        guard depth <= Limits.nesting else { throw error("an expression nested deeper than \(Limits.nesting) levels") }
    }

    var atEnd: Bool { pos >= tokens.count }
    var current: ExprToken? { pos < tokens.count ? tokens[pos] : nil }

    mutating func accept(_ t: ExprToken) -> Bool {
        if current == t { pos += 1; return true }
        return false
    }

    mutating func expect(_ t: ExprToken) throws {
        guard accept(t) else { throw error("expected \(Self.show(t)), found \(current.map(Self.show) ?? "the end")") }
    }

    func error(_ message: String) -> TemplateError { TemplateError(message, line: line) }

    static func show(_ t: ExprToken) -> String {
        switch t {
        case let .name(n): return "\"\(n)\""
        case let .string(s): return "'\(s)'"
        case let .int(i): return String(i)
        case let .float(d): return String(d)
        case let .op(o): return "\"\(o)\""
        }
    }

    mutating func finish() throws {
        if let t = current { throw error("unexpected \(Self.show(t)) after the expression") }
    }

    mutating func whole() throws -> TemplateExpr {
        let e = try expression()
        try finish()
        return e
    }

    mutating func identifier() throws -> String {
        guard case let .name(n)? = current else { throw error("expected a name, found \(current.map(Self.show) ?? "the end")") }
        pos += 1
        return n
    }

    mutating func expression() throws -> TemplateExpr {
        try enter()
        defer { depth -= 1 }
        let value = try orExpr()
        guard accept(.name("if")) else { return value }
        let cond = try orExpr()
        let otherwise = accept(.name("else")) ? try expression() : nil
        return .conditional(cond, then: value, otherwise: otherwise)
    }

    /// An expression where `if` ends it (a for loop's iterable, before its filter).
    mutating func ternaryFree() throws -> TemplateExpr { try orExpr() }

    mutating func orExpr() throws -> TemplateExpr {
        var e = try andExpr()
        while accept(.name("or")) { e = .or(e, try andExpr()) }
        return e
    }

    mutating func andExpr() throws -> TemplateExpr {
        var e = try notExpr()
        while accept(.name("and")) { e = .and(e, try notExpr()) }
        return e
    }

    mutating func notExpr() throws -> TemplateExpr {
        try enter()
        defer { depth -= 1 }
        if accept(.name("not")) { return .not(try notExpr()) }
        return try compare()
    }

    mutating func compare() throws -> TemplateExpr {
        var e = try math1()
        while true {
            if case let .op(o)? = current, ["==", "!=", "<", ">", "<=", ">="].contains(o) {
                pos += 1
                e = .binary(o, e, try math1())
            } else if accept(.name("in")) {
                e = .binary("in", e, try math1())
            } else if current == .name("not"), pos + 1 < tokens.count, tokens[pos + 1] == .name("in") {
                pos += 2
                e = .not(.binary("in", e, try math1()))
            } else {
                return e
            }
        }
    }

    mutating func binaryLevel(_ ops: [String], next: (inout ExprParser) throws -> TemplateExpr) throws -> TemplateExpr {
        var e = try next(&self)
        while case let .op(o)? = current, ops.contains(o) {
            pos += 1
            e = .binary(o, e, try next(&self))
        }
        return e
    }

    mutating func math1() throws -> TemplateExpr { try binaryLevel(["+", "-"]) { try $0.concat() } }
    mutating func concat() throws -> TemplateExpr { try binaryLevel(["~"]) { try $0.math2() } }
    mutating func math2() throws -> TemplateExpr { try binaryLevel(["*", "/", "//", "%"]) { try $0.power() } }
    mutating func power() throws -> TemplateExpr { try binaryLevel(["**"]) { try $0.unary(filters: true) } }

    mutating func unary(filters: Bool) throws -> TemplateExpr {
        try enter()
        defer { depth -= 1 }
        var e: TemplateExpr
        if accept(.op("-")) { e = .unary("-", try unary(filters: false)) }
        else if accept(.op("+")) { e = .unary("+", try unary(filters: false)) }
        else { e = try postfix(try primary()) }
        guard filters else { return e }
        while true {
            if accept(.op("|")) {
                let name = try dottedName()
                let (args, kwargs) = current == .op("(") ? try callArguments() : ([], [])
                e = .filter(e, name, args, kwargs)
            } else if accept(.name("is")) {
                let negated = accept(.name("not"))
                let name = try dottedName()
                var args: [TemplateExpr] = []
                if current == .op("(") {
                    args = try callArguments().0
                } else if let t = current, Self.startsTestArgument(t) {
                    args = [try postfix(try primary())]
                }
                e = .test(e, name, args, negated: negated)
            } else {
                return e
            }
        }
    }

    static func startsTestArgument(_ t: ExprToken) -> Bool {
        switch t {
        case let .name(n): return !["else", "or", "and", "if", "in", "is", "not"].contains(n)
        case .string, .int, .float: return true
        case let .op(o): return o == "[" || o == "{"
        }
    }

    mutating func dottedName() throws -> String {
        var name = try identifier()
        while accept(.op(".")) { name += "." + (try identifier()) }
        return name
    }

    mutating func primary() throws -> TemplateExpr {
        guard let t = current else { throw error("an expression is missing") }
        pos += 1
        switch t {
        case let .name(n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case var .string(s):
            while case let .string(more)? = current { s += more; pos += 1 }
            return .literal(.string(s))
        case let .int(i): return .literal(.int(i))
        case let .float(d): return .literal(.double(d))
        case .op("("):
            if accept(.op(")")) { return .list([]) }
            let first = try expression()
            if accept(.op(")")) { return first }
            var items = [first]
            while accept(.op(",")) {
                if current == .op(")") { break }
                items.append(try expression())
            }
            try expect(.op(")"))
            return .list(items)
        case .op("["):
            var items: [TemplateExpr] = []
            while !accept(.op("]")) {
                if !items.isEmpty { try expect(.op(",")); if accept(.op("]")) { break } }
                items.append(try expression())
            }
            return .list(items)
        case .op("{"):
            var pairs: [(TemplateExpr, TemplateExpr)] = []
            while !accept(.op("}")) {
                if !pairs.isEmpty { try expect(.op(",")); if accept(.op("}")) { break } }
                let k = try expression()
                try expect(.op(":"))
                pairs.append((k, try expression()))
            }
            return .dict(pairs)
        default:
            throw error("unexpected \(Self.show(t))")
        }
    }

    mutating func postfix(_ base: TemplateExpr) throws -> TemplateExpr {
        var e = base
        while true {
            if accept(.op(".")) {
                if case let .int(i)? = current { pos += 1; e = .item(e, .literal(.int(i))); continue }
                e = .attribute(e, try identifier())
            } else if accept(.op("[")) {
                var parts: [TemplateExpr?] = [nil]
                var sawColon = false
                while !accept(.op("]")) {
                    if accept(.op(":")) { sawColon = true; parts.append(nil); continue }
                    parts[parts.count - 1] = try expression()
                }
                if sawColon {
                    guard parts.count <= 3 else { throw error("a slice has at most three parts") }
                    e = .slice(e, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
                } else {
                    guard let key = parts[0] else { throw error("an empty subscript") }
                    e = .item(e, key)
                }
            } else if current == .op("(") {
                let (args, kwargs) = try callArguments()
                e = .call(e, args, kwargs)
            } else {
                return e
            }
        }
    }

    mutating func callArguments() throws -> ([TemplateExpr], [(String, TemplateExpr)]) {
        try expect(.op("("))
        var args: [TemplateExpr] = []
        var kwargs: [(String, TemplateExpr)] = []
        while !accept(.op(")")) {
            if !(args.isEmpty && kwargs.isEmpty) { try expect(.op(",")); if accept(.op(")")) { break } }
            if case let .name(n)? = current, pos + 1 < tokens.count, tokens[pos + 1] == .op("=") {
                pos += 2
                kwargs.append((n, try expression()))
            } else {
                args.append(try expression())
            }
        }
        return (args, kwargs)
    }
}
