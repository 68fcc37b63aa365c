/// A value inside a chat template, with Python's meaning (chat templates are Jinja run by
/// transformers): truthiness, `str()`, equality and ordering follow Python, not Swift.
public indirect enum TemplateValue: Sendable, Equatable {
    /// A name that is not set; prints as "" and is false, as Jinja's default `Undefined`.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    /// A mapping that keeps its insertion order (Python dicts do).
    case object(TemplateObject)
    /// `namespace(...)`: the one mutable value, shared by reference.
    case namespace(TemplateNamespace)
    /// A global function named but not called (`raise_exception is defined`).
    case function(String)

    public static func == (a: Self, b: Self) -> Bool { a.equals(b) }

    public var isTrue: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .array(a): return !a.isEmpty
        case let .object(o): return !o.keys.isEmpty
        case .namespace, .function: return true
        }
    }

    public var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// Python's `str(value)`; undefined prints as "".
    public var text: String {
        switch self {
        case .undefined: return ""
        case let .string(s): return s
        default: return repr(top: true)
        }
    }

    /// Python's `repr`, which is how containers print their members ("['a', 1]").
    func repr(top: Bool = false) -> String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return Self.pythonFloat(d)
        case let .string(s): return top ? s : Self.pythonQuoted(s)
        case let .array(a): return "[" + a.map { $0.repr() }.joined(separator: ", ") + "]"
        case let .object(o): return "{" + o.keys.map { Self.pythonQuoted($0) + ": " + o[$0]!.repr() }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case let .function(n): return "<function \(n)>"
        }
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded() && abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case quote: out += "\\" + String(c)
            default: out.append(c)
            }
        }
        return out + String(quote)
    }

    /// Python `==`: numbers compare by value across int, float and bool; other kinds never equal.
    func equals(_ other: TemplateValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case let (.object(a), .object(b)): return a.keys == b.keys && a.keys.allSatisfy { a[$0]!.equals(b[$0]!) }
        case let (.namespace(a), .namespace(b)): return a === b
        case let (.function(a), .function(b)): return a == b
        default:
            if let x = number, let y = other.number { return x == y }
            return false
        }
    }

    /// The value as a number when it is int, float or bool.
    var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "Namespace"
        case .function: return "function"
        }
    }

    /// Builds a value from plain Swift data: String, Int, Double, Bool, arrays, [String: Any] dicts.
    public static func from(_ any: Any?) -> TemplateValue {
        switch any {
        case nil: return .none
        case let v as TemplateValue: return v
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(i)
        case let d as Double: return .double(d)
        case let a as [Any?]: return .array(a.map(from))
        case let pairs as KeyValuePairs<String, Any?>:
            return .object(TemplateObject(pairs.map { ($0.key, from($0.value)) }))
        default: return .string("\(any!)")
        }
    }
}

/// An ordered string-keyed mapping.
public struct TemplateObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    var values: [String: TemplateValue] = [:]

    public init(_ pairs: [(String, TemplateValue)] = []) {
        for (k, v) in pairs { self[k] = v }
    }

    public subscript(key: String) -> TemplateValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }
}

/// The attributes of a `namespace()`, changed by `{% set ns.name = … %}`.
public final class TemplateNamespace: @unchecked Sendable {
    var attributes: TemplateObject
    init(_ attributes: TemplateObject) { self.attributes = attributes }
}
