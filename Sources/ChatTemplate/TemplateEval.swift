import Foundation

/// Expression evaluation with Python's operators.
extension TemplateRenderer {
    func eval(_ e: TemplateExpr) throws -> TemplateValue {
        switch e {
        case let .literal(v): return v
        case let .name(n):
            let v = lookup(n)
            if v.isUndefined, Builtins.globalFunctions.contains(n) { return .function(n) }
            return v
        case let .attribute(base, name): return try Builtins.attribute(try eval(base), name)
        case let .item(base, key): return try Builtins.item(try eval(base), try eval(key))
        case let .slice(base, a, b, c):
            return try Builtins.slice(try eval(base), try a.map(eval), try b.map(eval), try c.map(eval))
        case let .call(callee, args, kwargs):
            let a = try args.map(eval)
            let k = try kwargs.map { ($0.0, try eval($0.1)) }
            if case let .attribute(base, method) = callee {
                return try Builtins.method(try eval(base), method, a, k)
            }
            if case let .name(n) = callee, lookup(n).isUndefined {
                return try Builtins.callGlobal(n, a, k)
            }
            throw TemplateError("\(Self.describe(callee)) is not callable")
        case let .filter(base, name, args, kwargs):
            return try Builtins.filter(name, try eval(base), try args.map(eval), try kwargs.map { ($0.0, try eval($0.1)) })
        case let .test(base, name, args, negated):
            let r = try Builtins.test(name, try eval(base), try args.map(eval))
            return .bool(r != negated)
        case let .unary(op, x):
            let v = try eval(x)
            switch v {
            case let .int(i):
                guard !(op == "-" && i == Int.min) else { throw TemplateError("integer overflow in unary -") }
                return .int(op == "-" ? -i : i)
            case let .double(d): return .double(op == "-" ? -d : d)
            default: throw TemplateError("bad operand type for unary \(op): '\(v.typeName)'")
            }
        case let .binary(op, a, b): return try Self.binary(op, try eval(a), try eval(b))
        case let .and(a, b):
            let x = try eval(a)
            return x.isTrue ? try eval(b) : x
        case let .or(a, b):
            let x = try eval(a)
            return x.isTrue ? x : try eval(b)
        case let .not(x): return .bool(!(try eval(x)).isTrue)
        case let .conditional(cond, then, otherwise):
            if try eval(cond).isTrue { return try eval(then) }
            return try otherwise.map(eval) ?? .undefined("else")
        case let .list(items): return .array(try items.map(eval))
        case let .dict(pairs):
            var o = TemplateObject()
            for (k, v) in pairs {
                guard case let .string(key) = try eval(k) else { throw TemplateError("dict keys must be strings here") }
                o[key] = try eval(v)
            }
            return .object(o)
        }
    }

    static func describe(_ e: TemplateExpr) -> String {
        switch e {
        case let .name(n): return n
        case let .attribute(b, n): return describe(b) + "." + n
        default: return "the expression"
        }
    }

    static func binary(_ op: String, _ a: TemplateValue, _ b: TemplateValue) throws -> TemplateValue {
        func fail() -> TemplateError {
            TemplateError("unsupported operand types for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
        switch op {
        case "==": return .bool(a.equals(b))
        case "!=": return .bool(!a.equals(b))
        case "<", ">", "<=", ">=":
            let order: Int
            if case let .string(x) = a, case let .string(y) = b {
                order = x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : (x == y ? 0 : 1)
            } else if let x = a.number, let y = b.number {
                order = x < y ? -1 : (x == y ? 0 : 1)
            } else { throw fail() }
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case "in": return .bool(try Builtins.contains(b, a))
        case "~": return .string(a.text + b.text)
        case "+":
            switch (a, b) {
            case let (.string(x), .string(y)): return .string(x + y)
            case let (.array(x), .array(y)): return .array(x + y)
            default: break
            }
        case "*":
            if case let .string(s) = a, case let .int(n) = b {
                try Limits.check(repeating: s.utf8.count, times: n)
                return .string(String(repeating: s, count: max(0, n)))
            }
            if case let .array(s) = a, case let .int(n) = b {
                try Limits.check(repeating: s.count, times: n)
                return .array(Array(repeating: s, count: max(0, n)).flatMap { $0 })
            }
        default: break
        }
        // Arithmetic: int op int stays int (except /), otherwise float.
        if case .bool = a, case .bool = b {} // Python allows bool arithmetic; handled as ints below.
        guard let x = a.number, let y = b.number else { throw fail() }
        let ints: (Int, Int)? = {
            switch (a, b) {
            case let (.int(i), .int(j)): return (i, j)
            case let (.int(i), .bool(j)): return (i, j ? 1 : 0)
            case let (.bool(i), .int(j)): return (i ? 1 : 0, j)
            case let (.bool(i), .bool(j)): return (i ? 1 : 0, j ? 1 : 0)
            default: return nil
            }
        }()
        // Python's integers are unbounded; ours are 64-bit, so an overflow is an error, never a wrap or a trap.
        func exact(_ r: (partialValue: Int, overflow: Bool)) throws -> TemplateValue {
            guard !r.overflow else { throw TemplateError("integer overflow in \(op) (template integers are 64-bit here)") }
            return .int(r.partialValue)
        }
        switch op {
        case "+": return try ints.map { try exact($0.0.addingReportingOverflow($0.1)) } ?? .double(x + y)
        case "-": return try ints.map { try exact($0.0.subtractingReportingOverflow($0.1)) } ?? .double(x - y)
        case "*": return try ints.map { try exact($0.0.multipliedReportingOverflow(by: $0.1)) } ?? .double(x * y)
        case "/":
            guard y != 0 else { throw TemplateError("division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw TemplateError("integer division or modulo by zero") }
            if let (i, j) = ints {
                guard !(i == Int.min && j == -1) else { throw TemplateError("integer overflow in //") }
                let q = i / j
                return .int(q * j != i && (i < 0) != (j < 0) ? q - 1 : q)
            }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw TemplateError("integer division or modulo by zero") }
            if let (i, j) = ints { let r = i % j; return .int(r != 0 && (r < 0) != (j < 0) ? r + j : r) }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**":
            if let (i, j) = ints, j >= 0 {
                var r = 1
                for _ in 0..<min(j, 64) { r = try exact(r.multipliedReportingOverflow(by: i)).intValue }
                if j > 64 && abs(i) > 1 { throw TemplateError("integer overflow in **") }
                if j > 64 && i == -1 { r = j % 2 == 0 ? 1 : -1 }
                if j > 64 && i == 0 { r = 0 }
                return .int(r)
            }
            return .double(pow(x, y))
        default: throw fail()
        }
    }
}

extension TemplateValue {
    var intValue: Int { if case let .int(i) = self { return i } else { return 0 } }
}

/// Bounds on what a template may build, so that a hostile chat template fails with an error
/// instead of exhausting memory or the stack: Jinja's sandbox caps `range` at 100,000 items;
/// we cap repetition the same way by size, and nesting by depth.
enum Limits {
    static let range = 100_000
    static let repeatedBytes = 1 << 24
    static let nesting = 128
    static let tokensPerTag = 1000
    static let blocks = 64
    static let iterations = 100_000
    /// Rendered text (a chat prompt is far below this).
    static let output = 1 << 26

    static func check(repeating unit: Int, times n: Int) throws {
        guard n <= 0 || unit == 0 || unit <= repeatedBytes / n else {
            throw TemplateError("a repetition of \(n) × \(unit) is larger than vlmkit allows (\(repeatedBytes) items)")
        }
    }
}
