/// `tojson` as transformers defines it: Python's `json.dumps` with ensure_ascii off, so
/// non-ASCII text stays as is, separators ", " and ": " (",", ": " when indented).
enum JSONText {
    static func dump(_ v: TemplateValue, indent: Int?, sortKeys: Bool) -> String {
        var out = ""
        write(v, indent: indent, level: 0, sortKeys: sortKeys, into: &out)
        return out
    }

    static func write(_ v: TemplateValue, indent: Int?, level: Int, sortKeys: Bool, into out: inout String) {
        let newline: (Int) -> String = { n in indent.map { "\n" + String(repeating: " ", count: $0 * n) } ?? "" }
        let comma = indent == nil ? ", " : ","
        switch v {
        case .undefined, .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d): out += d.isNaN ? "NaN" : d.isInfinite ? (d > 0 ? "Infinity" : "-Infinity") : TemplateValue.pythonFloat(d)
        case let .string(s): quote(s, into: &out)
        case let .function(n): quote("<function \(n)>", into: &out)
        case let .array(a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, x) in a.enumerated() {
                out += (i > 0 ? comma : "") + newline(level + 1)
                write(x, indent: indent, level: level + 1, sortKeys: sortKeys, into: &out)
            }
            out += newline(level) + "]"
        case .object, .namespace:
            let o: TemplateObject
            if case let .object(x) = v { o = x } else if case let .namespace(ns) = v { o = ns.attributes } else { return }
            if o.keys.isEmpty { out += "{}"; return }
            out += "{"
            let keys = sortKeys ? o.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) } : o.keys
            for (i, k) in keys.enumerated() {
                out += (i > 0 ? comma : "") + newline(level + 1)
                quote(k, into: &out)
                out += ": "
                write(o[k]!, indent: indent, level: level + 1, sortKeys: sortKeys, into: &out)
            }
            out += newline(level) + "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) }
                else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

import TensorIO

extension TemplateValue {
    /// A JSON document as template data (tokenizer_config.json values, tool schemas).
    public init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .int(Int(i))
        case let .uint(u): self = u <= UInt64(Int.max) ? .int(Int(u)) : .double(Double(u))
        case let .double(d): self = .double(d)
        case let .string(s): self = .string(s)
        case let .array(a): self = .array(a.map(TemplateValue.init(json:)))
        case let .object(pairs): self = .object(TemplateObject(pairs.map { ($0.key, TemplateValue(json: $0.value)) }))
        }
    }
}
