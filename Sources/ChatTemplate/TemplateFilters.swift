/// Jinja's filters and tests, and Python's str / dict methods, that chat templates use.
extension Builtins {
    static func pythonWhitespace(_ c: Character) -> Bool { c.isWhitespace }

    static func strip(_ s: String, _ chars: TemplateValue?, leading: Bool, trailing: Bool) -> String {
        let drop: (Character) -> Bool
        if case let .string(set)? = chars { drop = { set.contains($0) } } else { drop = pythonWhitespace }
        var sub = Substring(s)
        if leading { sub = sub.drop(while: drop) }
        if trailing { while let last = sub.last, drop(last) { sub = sub.dropLast() } }
        return String(sub)
    }

    static func string(_ v: TemplateValue, _ what: String) throws -> String {
        guard case let .string(s) = v else { throw TemplateError("\(what) needs a string, not \(v.typeName)") }
        return s
    }

    static func method(_ base: TemplateValue, _ name: String, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)]) throws -> TemplateValue {
        switch base {
        case let .string(s):
            switch name {
            case "strip": return .string(strip(s, args.first, leading: true, trailing: true))
            case "lstrip": return .string(strip(s, args.first, leading: true, trailing: false))
            case "rstrip": return .string(strip(s, args.first, leading: false, trailing: true))
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(s.capitalized)
            case "capitalize": return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
            case "startswith", "endswith":
                let options: [TemplateValue]
                if case let .array(a)? = args.first { options = a } else { options = Array(args.prefix(1)) }
                let hit = try options.contains { o in
                    let p = try string(o, "str.\(name)()")
                    return name == "startswith" ? s.hasPrefix(p) : s.hasSuffix(p)
                }
                return .bool(hit)
            case "split":
                if let sep = args.first, sep != .none {
                    let p = try string(sep, "str.split()")
                    return .array(s.components(separatedBy: p).map { .string($0) })
                }
                return .array(s.split(whereSeparator: pythonWhitespace).map { .string(String($0)) })
            case "replace":
                guard args.count >= 2 else { throw TemplateError("str.replace() takes two strings") }
                return .string(s.replacingOccurrences(of: try string(args[0], "str.replace()"), with: try string(args[1], "str.replace()")))
            case "find":
                guard let r = s.range(of: try string(args.first ?? .none, "str.find()")) else { return .int(-1) }
                return .int(s.distance(from: s.startIndex, to: r.lowerBound))
            case "join":
                return .string(try iterate(args.first ?? .array([]), line: nil).map(\.text).joined(separator: s))
            case "splitlines": return .array(s.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { .string(String($0)) })
            default: break
            }
        case let .object(o):
            switch name {
            case "items": return .array(o.keys.map { .array([.string($0), o[$0]!]) })
            case "keys": return .array(o.keys.map { .string($0) })
            case "values": return .array(o.keys.map { o[$0]! })
            case "get":
                guard case let .string(k)? = args.first else { throw TemplateError("dict.get() takes a string key") }
                return o[k] ?? (args.count > 1 ? args[1] : .none)
            default: break
            }
        case let .undefined(n): throw TemplateError("'\(n)' is undefined (calling .\(name)())")
        default: break
        }
        throw TemplateError("'\(base.typeName)' object has no method '\(name)' that vlmkit implements")
    }

    static func filter(_ name: String, _ v: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)]) throws -> TemplateValue {
        func kw(_ key: String, _ position: Int) -> TemplateValue? {
            kwargs.first { $0.0 == key }?.1 ?? (args.count > position ? args[position] : nil)
        }
        switch name {
        case "trim": return .string(strip(v.text, kw("chars", 0), leading: true, trailing: true))
        case "length", "count":
            switch v {
            case let .string(s): return .int(s.count)
            case let .array(a): return .int(a.count)
            case let .object(o): return .int(o.keys.count)
            default: throw TemplateError("object of type '\(v.typeName)' has no len()")
            }
        case "string": return .string(v.text)
        case "lower": return .string(v.text.lowercased())
        case "upper": return .string(v.text.uppercased())
        case "capitalize", "title": return try method(.string(v.text), name, [], [])
        case "int":
            switch v {
            case let .int(i): return .int(i)
            case let .double(d): return .int(Int(d))
            case let .bool(b): return .int(b ? 1 : 0)
            case let .string(s): return .int(Int(s.trimmingCharacters(in: .whitespaces)) ?? 0)
            default: return .int(0)
            }
        case "float": return .double(v.number ?? Double(v.text) ?? 0)
        case "first": return try iterate(v, line: nil).first ?? .undefined("first")
        case "last": return try iterate(v, line: nil).last ?? .undefined("last")
        case "list": return .array(try iterate(v, line: nil))
        case "reverse":
            if case let .string(s) = v { return .string(String(s.reversed())) }
            return .array(try iterate(v, line: nil).reversed())
        case "join":
            let items = try iterate(v, line: nil)
            if case let .string(attr)? = kw("attribute", 1) {
                return .string(try items.map { try attribute($0, attr).text }.joined(separator: kw("d", 0)?.text ?? ""))
            }
            return .string(items.map(\.text).joined(separator: kw("d", 0)?.text ?? ""))
        case "default", "d":
            let fallback = kw("default_value", 0) ?? .string("")
            let boolean = kw("boolean", 1)?.isTrue ?? false
            return v.isUndefined || (boolean && !v.isTrue) ? fallback : v
        case "replace":
            guard args.count >= 2 else { throw TemplateError("replace takes two strings") }
            return .string(v.text.replacingOccurrences(of: args[0].text, with: args[1].text))
        case "items": return try method(v, "items", [], [])
        case "safe": return v
        case "escape", "e":
            var out = ""
            for c in v.text {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return .string(out)
        case "abs":
            if case let .int(i) = v { return .int(abs(i)) }
            return .double(abs(v.number ?? 0))
        case "tojson":
            let indent: Int? = { if case let .int(i)? = kw("indent", 0) { return i } else { return nil } }()
            return .string(JSONText.dump(v, indent: indent, sortKeys: kw("sort_keys", 3)?.isTrue ?? false))
        case "indent":
            let width: String = { if case let .int(i)? = kw("width", 0) { return String(repeating: " ", count: i) } else { return kw("width", 0)?.text ?? "    " } }()
            let lines = v.text.components(separatedBy: "\n")
            let first = kw("first", 1)?.isTrue ?? false
            let blank = kw("blank", 2)?.isTrue ?? false
            return .string(lines.enumerated().map { i, l in
                (i == 0 && !first) || (l.isEmpty && !blank) ? l : width + l
            }.joined(separator: "\n"))
        case "selectattr", "rejectattr", "select", "reject", "map":
            return try sequenceFilter(name, v, args, kwargs)
        default:
            throw TemplateError("the filter '\(name)' is not implemented by vlmkit's chat-template engine")
        }
    }

    static func sequenceFilter(_ name: String, _ v: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)]) throws -> TemplateValue {
        let items = try iterate(v, line: nil)
        if name == "map" {
            if case let .string(attr)? = kwargs.first(where: { $0.0 == "attribute" })?.1 {
                let dflt = kwargs.first { $0.0 == "default" }?.1
                return .array(try items.map { let a = try attribute($0, attr); return a.isUndefined ? (dflt ?? a) : a })
            }
            guard case let .string(f)? = args.first else { throw TemplateError("map needs a filter name or attribute=") }
            return .array(try items.map { try filter(f, $0, Array(args.dropFirst()), []) })
        }
        let byAttribute = name.hasSuffix("attr")
        var rest = args
        var attr: String? = nil
        if byAttribute {
            guard case let .string(a)? = rest.first else { throw TemplateError("\(name) needs an attribute name") }
            attr = a
            rest.removeFirst()
        }
        let keepIfTrue = name.hasPrefix("select")
        return .array(try items.filter { item in
            let subject = try attr.map { try attribute(item, $0) } ?? item
            let pass: Bool
            if case let .string(t)? = rest.first { pass = try test(t, subject, Array(rest.dropFirst())) } else { pass = subject.isTrue }
            return pass == keepIfTrue
        })
    }

    static func test(_ name: String, _ v: TemplateValue, _ args: [TemplateValue]) throws -> Bool {
        let arg = args.first ?? .undefined("argument")
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": return v == .none
        case "string": if case .string = v { return true } else { return false }
        case "number": if case .int = v { return true } else if case .double = v { return true } else { return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .double = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": return v == .bool(true) && { if case .bool = v { return true } else { return false } }()
        case "false": return v == .bool(false) && { if case .bool = v { return true } else { return false } }()
        case "mapping": if case .object = v { return true } else { return false }
        case "iterable":
            switch v { case .array, .object, .string: return true; default: return false }
        case "sequence":
            switch v { case .array, .string, .object: return true; default: return false }
        case "callable": if case .function = v { return true } else { return false }
        case "even", "odd":
            guard case let .int(i) = v else { throw TemplateError("\(name) needs an integer") }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            guard case let .int(i) = v, case let .int(j) = arg, j != 0 else { throw TemplateError("divisibleby needs integers") }
            return i % j == 0
        case "eq", "equalto", "==": return v.equals(arg)
        case "ne", "!=": return !v.equals(arg)
        case "lt", "<", "gt", ">", "le", "<=", "ge", ">=":
            let op = ["lt": "<", "gt": ">", "le": "<=", "ge": ">="][name] ?? name
            return try TemplateRenderer.binary(op, v, arg).isTrue
        case "in": return try contains(arg, v)
        case "sameas": return v.equals(arg)
        case "lower": return v.text == v.text.lowercased()
        case "upper": return v.text == v.text.uppercased()
        default: throw TemplateError("the test '\(name)' is not implemented by vlmkit's chat-template engine")
        }
    }
}
