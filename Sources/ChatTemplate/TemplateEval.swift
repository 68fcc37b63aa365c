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
            case let .int(i): return .int(op == "-" ? -i : i)
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
            if case let .string(s) = a, case let .int(n) = b { return .string(String(repeating: s, count: max(0, n))) }
            if case let .array(s) = a, case let .int(n) = b { return .array(Array(repeating: s, count: max(0, n)).flatMap { $0 }) }
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
        switch op {
        case "+": return ints.map { .int($0.0 + $0.1) } ?? .double(x + y)
        case "-": return ints.map { .int($0.0 - $0.1) } ?? .double(x - y)
        case "*": return ints.map { .int($0.0 * $0.1) } ?? .double(x * y)
        case "/":
            guard y != 0 else { throw TemplateError("division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw TemplateError("integer division or modulo by zero") }
            if let (i, j) = ints { return .int(Int((Double(i) / Double(j)).rounded(.down))) }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw TemplateError("integer division or modulo by zero") }
            if let (i, j) = ints { let r = i % j; return .int(r != 0 && (r < 0) != (j < 0) ? r + j : r) }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**":
            if let (i, j) = ints, j >= 0 { return .int(Int(pow(Double(i), Double(j)))) }
            return .double(pow(x, y))
        default: throw fail()
        }
    }
}
