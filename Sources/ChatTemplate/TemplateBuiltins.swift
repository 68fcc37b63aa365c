import Foundation

/// Attribute and item access, globals and methods of Python's str, dict and list as chat
/// templates call them. Anything else is refused by name.
enum Builtins {
    static let globalFunctions: Set<String> = ["raise_exception", "namespace", "range", "strftime_now", "dict"]

    static func iterate(_ v: TemplateValue, line: Int?) throws -> [TemplateValue] {
        switch v {
        case let .array(a): return a
        case let .object(o): return o.keys.map { .string($0) }
        case let .string(s): return s.map { .string(String($0)) }
        case .undefined: return []
        default: throw TemplateError("'\(v.typeName)' object is not iterable", line: line)
        }
    }

    static func contains(_ container: TemplateValue, _ x: TemplateValue) throws -> Bool {
        switch container {
        case let .string(s):
            guard case let .string(sub) = x else { throw TemplateError("'in <string>' requires string as left operand, not \(x.typeName)") }
            return sub.isEmpty || s.contains(sub)
        case let .array(a): return a.contains { $0.equals(x) }
        case let .object(o):
            guard case let .string(k) = x else { return false }
            return o[k] != nil
        case .undefined: return false
        default: throw TemplateError("argument of type '\(container.typeName)' is not iterable")
        }
    }

    static let dictMethods: Set<String> = ["items", "keys", "values", "get"]

    /// `a.b`: a mapping's key (Jinja falls back from attribute to item); undefined stays undefined
    /// one level (`x.y is defined`), deeper access fails as in Jinja.
    static func attribute(_ base: TemplateValue, _ name: String) throws -> TemplateValue {
        switch base {
        case let .object(o): return o[name] ?? .undefined(name)
        case let .namespace(ns): return ns.attributes[name] ?? .undefined(name)
        case let .undefined(n): throw TemplateError("'\(n)' is undefined (reading .\(name))")
        default: return .undefined(name)
        }
    }

    static func item(_ base: TemplateValue, _ key: TemplateValue) throws -> TemplateValue {
        switch (base, key) {
        case let (.array(a), .int(i)):
            let j = i < 0 ? a.count + i : i
            return a.indices.contains(j) ? a[j] : .undefined("[\(i)]")
        case let (.string(s), .int(i)):
            let chars = Array(s)
            let j = i < 0 ? chars.count + i : i
            return chars.indices.contains(j) ? .string(String(chars[j])) : .undefined("[\(i)]")
        case let (.object(o), .string(k)): return o[k] ?? .undefined(k)
        case let (.namespace(ns), .string(k)): return ns.attributes[k] ?? .undefined(k)
        case let (.undefined(n), _): throw TemplateError("'\(n)' is undefined (reading [\(key.repr())])")
        default: return .undefined("[\(key.repr())]")
        }
    }

    /// Python slicing `x[a:b:c]` of lists and strings.
    static func slice(_ base: TemplateValue, _ a: TemplateValue?, _ b: TemplateValue?, _ c: TemplateValue?) throws -> TemplateValue {
        func int(_ v: TemplateValue?) throws -> Int? {
            guard let v, !(v == .none) else { return nil }
            guard case let .int(i) = v else { throw TemplateError("slice indices must be integers, not \(v.typeName)") }
            return i
        }
        let step = try int(c) ?? 1
        guard step != 0 else { throw TemplateError("slice step cannot be zero") }
        func pick(_ n: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ dflt: Int) -> Int {
                guard var i else { return dflt }
                if i < 0 { i += n }
                return step > 0 ? min(max(i, 0), n) : min(max(i, -1), n - 1)
            }
            let start = clamp(try int(a), step > 0 ? 0 : n - 1)
            let stop = clamp(try int(b), step > 0 ? n : -1)
            return Array(stride(from: start, to: stop, by: step))
        }
        switch base {
        case let .array(x): return .array(try pick(x.count).map { x[$0] })
        case let .string(s):
            let chars = Array(s)
            return .string(String(try pick(chars.count).map { chars[$0] }))
        default: throw TemplateError("'\(base.typeName)' object is not subscriptable")
        }
    }

    static func callGlobal(_ name: String, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)]) throws -> TemplateValue {
        switch name {
        case "raise_exception":
            throw TemplateError("the template raised: \(args.first?.text ?? "")")
        case "namespace", "dict":
            var o = TemplateObject()
            if case let .object(initial)? = args.first { o = initial }
            for (k, v) in kwargs { o[k] = v }
            return name == "dict" ? .object(o) : .namespace(TemplateNamespace(o))
        case "range":
            let ints = try args.map { v -> Int in
                guard case let .int(i) = v else { throw TemplateError("range() takes integers, not \(v.typeName)") }
                return i
            }
            let (lo, hi, step) = ints.count == 1 ? (0, ints[0], 1) : ints.count == 2 ? (ints[0], ints[1], 1)
                : ints.count == 3 ? (ints[0], ints[1], ints[2]) : (0, 0, 0)
            guard step != 0 else { throw TemplateError("range() takes 1 to 3 integers, the step not zero") }
            let count = step > 0 ? (hi > lo ? (hi - lo - 1) / step + 1 : 0) : (lo > hi ? (lo - hi - 1) / -step + 1 : 0)
            guard count <= Limits.range else {
                throw TemplateError("range() of \(count) items is larger than the sandbox allows (\(Limits.range), as Jinja's)")
            }
            return .array(stride(from: lo, to: hi, by: step).map { .int($0) })
        case "strftime_now":
            guard case let .string(format)? = args.first else { throw TemplateError("strftime_now() takes a format string") }
            return .string(strftime(format, Date()))
        default:
            throw TemplateError("'\(name)' is undefined, and no function of that name is implemented")
        }
    }

    /// C strftime in the machine's local time, as Python's `datetime.now().strftime`.
    static func strftime(_ format: String, _ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [Int8](repeating: 0, count: 256)
        let n = Foundation.strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
