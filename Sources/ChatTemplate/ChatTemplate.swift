/// A parsed chat template (the Jinja subset that Hugging Face chat templates use), rendered as
/// transformers' `apply_chat_template` renders it.
public struct ChatTemplate: @unchecked Sendable {
    let nodes: [TemplateNode]
    public let source: String

    public init(_ source: String) throws {
        self.source = source
        nodes = try TemplateParser.parse(source)
    }

    /// Renders with `variables` (messages, add_generation_prompt, bos_token, …) as globals.
    public func render(_ variables: [String: TemplateValue]) throws -> String {
        var r = TemplateRenderer(globals: variables)
        var out = ""
        _ = try r.run(nodes, into: &out)
        guard out.utf8.count <= Limits.output else { throw TemplateError("the rendered prompt exceeds \(Limits.output) bytes") }
        return out
    }
}

enum LoopSignal { case normal, breakLoop, continueLoop }

/// Evaluates nodes. Scoping is Jinja's: a for loop's body has its own scope per iteration (a
/// `set` inside it is gone after the loop, hence `namespace`), `if` has none.
struct TemplateRenderer {
    var scopes: [[String: TemplateValue]]
    var iterations = 0

    init(globals: [String: TemplateValue]) { scopes = [globals] }

    func lookup(_ name: String) -> TemplateValue {
        for s in scopes.reversed() { if let v = s[name] { return v } }
        return .undefined(name)
    }

    mutating func set(_ name: String, _ value: TemplateValue) { scopes[scopes.count - 1][name] = value }

    mutating func run(_ nodes: [TemplateNode], into out: inout String) throws -> LoopSignal {
        for node in nodes {
            switch node {
            case let .text(t): out += t
            case let .output(e, _):
                out += try eval(e).text
                guard out.utf8.count <= Limits.output else { throw TemplateError("the rendered prompt exceeds \(Limits.output) bytes") }
            case let .conditional(branches, otherwise):
                var taken = false
                for (cond, body) in branches where try eval(cond).isTrue {
                    taken = true
                    let s = try run(body, into: &out)
                    if s != .normal { return s }
                    break
                }
                if !taken {
                    let s = try run(otherwise, into: &out)
                    if s != .normal { return s }
                }
            case let .loop(l): try runLoop(l, into: &out)
            case let .assign(target, e, line): try assign(target, try eval(e), line: line)
            case let .assignBlock(target, body):
                var text = ""
                _ = try run(body, into: &text)
                try assign(target, .string(text), line: nil)
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        }
        return .normal
    }

    mutating func assign(_ target: AssignTarget, _ value: TemplateValue, line: Int?) throws {
        switch target {
        case let .names(names):
            if names.count == 1 { set(names[0], value); return }
            let items = try Builtins.iterate(value, line: line)
            guard items.count == names.count else {
                throw TemplateError("cannot unpack \(items.count) values into \(names.count) names", line: line)
            }
            for (n, v) in zip(names, items) { set(n, v) }
        case let .attribute(name, attr):
            guard case let .namespace(ns) = lookup(name) else {
                throw TemplateError("{% set \(name).\(attr) %} needs \(name) to be a namespace()", line: line)
            }
            ns.attributes[attr] = value
        }
    }

    mutating func runLoop(_ l: TemplateLoop, into out: inout String) throws {
        var items = try Builtins.iterate(try eval(l.iterable), line: l.line)
        if let f = l.filter {
            var kept: [TemplateValue] = []
            for item in items {
                scopes.append([:])
                try bind(l, item)
                let keep = try eval(f).isTrue
                scopes.removeLast()
                if keep { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try run(l.otherwise, into: &out)
            return
        }
        for (i, item) in items.enumerated() {
            iterations += 1
            guard iterations <= Limits.iterations else {
                throw TemplateError("the template runs more than \(Limits.iterations) loop iterations", line: l.line)
            }
            var loop = TemplateObject()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(items.count - i)
            loop["revindex0"] = .int(items.count - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == items.count - 1)
            loop["length"] = .int(items.count)
            loop["previtem"] = i > 0 ? items[i - 1] : .undefined("loop.previtem")
            loop["nextitem"] = i + 1 < items.count ? items[i + 1] : .undefined("loop.nextitem")
            scopes.append(["loop": .object(loop)])
            try bind(l, item)
            let signal = try run(l.body, into: &out)
            scopes.removeLast()
            if signal == .breakLoop { break }
        }
    }

    mutating func bind(_ l: TemplateLoop, _ item: TemplateValue) throws {
        try assign(.names(l.targets), item, line: l.line)
    }
}
