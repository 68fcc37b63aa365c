/// Statements: `if`/`elif`/`else`, `for` (with `if` filter, tuple targets and `else`), `set`
/// (names, `ns.attr`, blocks), `break`/`continue` (transformers enables loopcontrols) and
/// transformers' `generation` block. Anything else is refused by name.
struct TemplateParser {
    let pieces: [TemplatePiece]
    var index = 0

    static let unsupported = ["macro", "call", "filter", "include", "import", "from", "extends", "block", "raw", "with", "autoescape", "do"]

    static func parse(_ source: String) throws -> [TemplateNode] {
        var p = TemplateParser(pieces: try TemplateLexer.pieces(source))
        let (nodes, end) = try p.block(until: [])
        if let (word, line) = end { throw TemplateError("unexpected {% \(word) %}", line: line) }
        return nodes
    }

    /// Nodes up to one of the `until` keywords; returns the keyword met (with its statement's
    /// remaining tokens consumed by the caller through `lastTokens`).
    mutating func block(until: Set<String>) throws -> ([TemplateNode], (String, Int)?) {
        var nodes: [TemplateNode] = []
        while index < pieces.count {
            let piece = pieces[index]
            index += 1
            switch piece {
            case let .text(t): nodes.append(.text(t))
            case let .output(src, line):
                var e = ExprParser(try ExprLexer.tokens(src, line: line), line: line)
                nodes.append(.output(try e.whole(), line: line))
            case let .statement(src, line):
                let tokens = try ExprLexer.tokens(src, line: line)
                guard case let .name(word)? = tokens.first else { throw TemplateError("a {% %} tag without a statement", line: line) }
                if until.contains(word) {
                    lastTokens = Array(tokens.dropFirst())
                    return (nodes, (word, line))
                }
                nodes.append(try statement(word, Array(tokens.dropFirst()), line: line))
            }
        }
        return (nodes, nil)
    }

    var lastTokens: [ExprToken] = []

    static func expression(_ tokens: [ExprToken], line: Int) throws -> TemplateExpr {
        var e = ExprParser(tokens, line: line)
        return try e.whole()
    }

    var nesting = 0

    mutating func statement(_ word: String, _ rest: [ExprToken], line: Int) throws -> TemplateNode {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Limits.blocks else { throw TemplateError("statements nested deeper than \(Limits.blocks) levels", line: line) }
        switch word {
        case "if":
            var branches: [(TemplateExpr, [TemplateNode])] = []
            var cond = try Self.expression(rest, line: line)
            while true {
                let (body, end) = try block(until: ["elif", "else", "endif"])
                branches.append((cond, body))
                guard let (kw, _) = end else { throw TemplateError("{% if %} is never closed by {% endif %}", line: line) }
                if kw == "elif" { cond = try Self.expression(lastTokens, line: line); continue }
                if kw == "endif" { return .conditional(branches, otherwise: []) }
                let (otherwise, close) = try block(until: ["endif"])
                guard close != nil else { throw TemplateError("{% else %} is never closed by {% endif %}", line: line) }
                return .conditional(branches, otherwise: otherwise)
            }
        case "for":
            var e = ExprParser(rest, line: line)
            var targets = [try e.identifier()]
            while e.accept(.op(",")) { targets.append(try e.identifier()) }
            try e.expect(.name("in"))
            let iterable = try e.ternaryFree()
            let filter = e.accept(.name("if")) ? try e.ternaryFree() : nil
            if e.accept(.name("recursive")) { throw TemplateError("recursive for loops are not implemented", line: line) }
            try e.finish()
            let (body, end) = try block(until: ["else", "endfor"])
            guard let (kw, _) = end else { throw TemplateError("{% for %} is never closed by {% endfor %}", line: line) }
            var otherwise: [TemplateNode] = []
            if kw == "else" {
                let (o, close) = try block(until: ["endfor"])
                guard close != nil else { throw TemplateError("{% else %} is never closed by {% endfor %}", line: line) }
                otherwise = o
            }
            return .loop(TemplateLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line))
        case "set":
            var e = ExprParser(rest, line: line)
            let first = try e.identifier()
            var target = AssignTarget.names([first])
            if e.accept(.op(".")) {
                target = .attribute(first, try e.identifier())
            } else {
                var names = [first]
                while e.accept(.op(",")) { names.append(try e.identifier()) }
                target = .names(names)
            }
            if e.atEnd {
                let (body, end) = try block(until: ["endset"])
                guard end != nil else { throw TemplateError("{% set %} block is never closed by {% endset %}", line: line) }
                return .assignBlock(target, body)
            }
            try e.expect(.op("="))
            return .assign(target, try e.whole(), line: line)
        case "break": return .breakLoop(line: line)
        case "continue": return .continueLoop(line: line)
        case "generation":
            let (body, end) = try block(until: ["endgeneration"])
            guard end != nil else { throw TemplateError("{% generation %} is never closed", line: line) }
            return .conditional([(.literal(.bool(true)), body)], otherwise: [])
        default:
            if Self.unsupported.contains(word) {
                throw TemplateError("{% \(word) %} is not implemented by vlmkit's chat-template engine (it implements if, for, set, break, continue, generation)", line: line)
            }
            throw TemplateError("unknown statement {% \(word) %}", line: line)
        }
    }
}
