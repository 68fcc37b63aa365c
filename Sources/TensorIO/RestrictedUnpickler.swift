import TensorCore

/// A value built by the restricted unpickler. Containers are classes so that memoized references
/// see later SETITEMS/APPENDS, as in Python.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global the reader allows (module, name); never looked up or called.
    case global(String, String)
    /// `BINPERSID`: torch's storage reference ('storage', type, key, location, numel).
    case persistent([PickleValue])
    /// `_rebuild_tensor_v2(...)` / `_rebuild_parameter(...)`: a tensor description.
    case tensor(PickledTensor)
}

public final class PickleList { public var items: [PickleValue] = [] }
public final class PickleDict {
    public var keys: [PickleValue] = []
    public var values: [PickleValue] = []
}

/// What `_rebuild_tensor_v2(storage, offset, size, stride, …)` describes.
public struct PickledTensor {
    public let storageType: String
    public let storageKey: String
    public let storageNumel: Int
    public let offset: Int
    public let size: [Int]
    public let stride: [Int]
}

/// Reads the pickle `torch.save` writes for a state dict — and nothing else. It runs no code:
/// the only globals accepted are torch's tensor and storage rebuilders and
/// `collections.OrderedDict`, and the only calls evaluated are those, by their known meaning.
/// Any other opcode or global is refused by name.
public struct RestrictedUnpickler {
    public static let storageTypes: [String: DType] = [
        "HalfStorage": .f16, "FloatStorage": .f32, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "ByteStorage": .u8, "CharStorage": .i8, "ShortStorage": .i16, "IntStorage": .i32, "LongStorage": .i64, "BoolStorage": .bool,
    ]
    static let callables: Set<String> = ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"]

    let b: UnsafeRawBufferPointer
    let file: String
    var pos = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]

    public static func load(_ bytes: UnsafeRawBufferPointer, file: String) throws -> PickleValue {
        var u = RestrictedUnpickler(b: bytes, file: file)
        return try u.run()
    }

    func fail(_ d: String) -> TorchFileError { TorchFileError(file, "data.pkl: " + d) }

    mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, pos + n <= b.count else { throw fail("ends inside an opcode's argument at byte \(pos)") }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: b[pos..<(pos + n)])
    }

    mutating func uint(_ n: Int) throws -> Int {
        let s = try take(n)
        var v = 0
        for (i, x) in s.enumerated() { v |= Int(x) << (8 * i) }
        guard v >= 0 else { throw fail("a length or index is out of range") }
        return v
    }

    mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw fail("pops an empty stack at byte \(pos)") }
        return v
    }

    mutating func popMark() throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("has no MARK for the opcode at byte \(pos - 1)") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }

    mutating func push(_ v: PickleValue) throws {
        guard stack.count < 1 << 22 else { throw fail("grows its stack past 4 Mi values") }
        stack.append(v)
    }

    mutating func run() throws -> PickleValue {
        while true {
            let op = try take(1)[0]
            switch op {
            case 0x80: _ = try take(1)                                   // PROTO
            case 0x95: _ = try take(8)                                   // FRAME
            case 0x2E: return try pop()                                  // STOP
            case 0x7D: try push(.dict(PickleDict()))                      // EMPTY_DICT
            case 0x5D: try push(.list(PickleList()))                      // EMPTY_LIST
            case 0x29: try push(.tuple([]))                               // EMPTY_TUPLE
            case 0x28: marks.append(stack.count)                          // MARK
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4A:                                                    // BININT
                let v = try uint(4)
                try push(.int(v >= 1 << 31 ? v - (1 << 32) : v))
            case 0x4B: try push(.int(try uint(1)))                        // BININT1
            case 0x4D: try push(.int(try uint(2)))                        // BININT2
            case 0x8A:                                                    // LONG1
                let n = try uint(1)
                guard n <= 8 else { throw fail("has a \(n)-byte integer; nothing torch.save writes is that large") }
                let s = try take(n)
                var v: UInt64 = 0
                for (i, x) in s.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
                if n > 0 && n < 8 && s[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }
                try push(.int(Int(bitPattern: UInt(v))))
            case 0x47:                                                    // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for x in try take(8) { v = v << 8 | UInt64(x) }
                try push(.float(Double(bitPattern: v)))
            case 0x58, 0x8C, 0x8D:                                        // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let n = try uint(op == 0x8C ? 1 : op == 0x58 ? 4 : 8)
                try push(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x43, 0x42, 0x8E:                                        // SHORT_BINBYTES, BINBYTES, BINBYTES8
                let n = try uint(op == 0x43 ? 1 : op == 0x42 ? 4 : 8)
                try push(.bytes(Array(try take(n))))
            case 0x71, 0x72:                                              // BINPUT, LONG_BINPUT
                let i = try uint(op == 0x71 ? 1 : 4)
                guard let top = stack.last else { throw fail("memoizes an empty stack") }
                memo[i] = top
            case 0x94:                                                    // MEMOIZE
                guard let top = stack.last else { throw fail("memoizes an empty stack") }
                memo[memo.count] = top
            case 0x68, 0x6A:                                              // BINGET, LONG_BINGET
                let i = try uint(op == 0x68 ? 1 : 4)
                guard let v = memo[i] else { throw fail("reads memo \(i), which was never set") }
                try push(v)
            case 0x63:                                                    // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                try push(try global(module, name))
            case 0x93:                                                    // STACK_GLOBAL
                guard case let .string(name) = try pop(), case let .string(module) = try pop() else { throw fail("STACK_GLOBAL needs two strings") }
                try push(try global(module, name))
            case 0x51: try push(.persistent(try items(try pop(), "BINPERSID")))
            case 0x74: try push(.tuple(try popMark()))                    // TUPLE
            case 0x85: try push(.tuple([try pop()]))
            case 0x86: let y = try pop(), x = try pop(); try push(.tuple([x, y]))
            case 0x87: let z = try pop(), y = try pop(), x = try pop(); try push(.tuple([x, y, z]))
            case 0x52:                                                    // REDUCE
                let args = try pop(), callee = try pop()
                try push(try reduce(callee, try items(args, "REDUCE")))
            case 0x62:                                                    // BUILD: an OrderedDict's state (`_metadata`) is dropped
                _ = try pop()
                guard case .dict? = stack.last else { throw fail("BUILD on something other than an OrderedDict") }
            case 0x73:                                                    // SETITEM
                let v = try pop(), k = try pop()
                try setItems([k, v])
            case 0x75: try setItems(try popMark())                        // SETITEMS
            case 0x61:                                                    // APPEND
                let v = try pop()
                guard case let .list(l)? = stack.last else { throw fail("APPEND to something other than a list") }
                l.items.append(v)
            case 0x65:                                                    // APPENDS
                let vs = try popMark()
                guard case let .list(l)? = stack.last else { throw fail("APPENDS to something other than a list") }
                l.items += vs
            default:
                throw fail("opcode 0x\(String(op, radix: 16)) at byte \(pos - 1) is not one torch.save writes for a state dict; nothing is executed")
            }
        }
    }

    mutating func line() throws -> String {
        var s: [UInt8] = []
        while true {
            let c = try take(1)[0]
            if c == 0x0A { return String(decoding: s, as: UTF8.self) }
            s.append(c)
            guard s.count < 256 else { throw fail("a GLOBAL name is longer than 256 bytes") }
        }
    }

    func items(_ v: PickleValue, _ what: String) throws -> [PickleValue] {
        guard case let .tuple(t) = v else { throw fail("\(what) needs a tuple") }
        return t
    }

    func global(_ module: String, _ name: String) throws -> PickleValue {
        let full = module + "." + name
        if Self.callables.contains(full) || (module == "torch" && Self.storageTypes[name] != nil) { return .global(module, name) }
        throw fail("names the global \(full); a .pt file is read without running code, so only torch's tensor and storage rebuilders and collections.OrderedDict are accepted")
    }

    mutating func setItems(_ kv: [PickleValue]) throws {
        guard kv.count % 2 == 0, case let .dict(d)? = stack.last else { throw fail("SETITEM(S) on something other than a dict") }
        for i in stride(from: 0, to: kv.count, by: 2) {
            d.keys.append(kv[i])
            d.values.append(kv[i + 1])
        }
    }

    func reduce(_ callee: PickleValue, _ args: [PickleValue]) throws -> PickleValue {
        guard case let .global(module, name) = callee else { throw fail("REDUCE calls something that is not an accepted global") }
        switch module + "." + name {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw fail("OrderedDict is called with arguments") }
            return .dict(PickleDict())
        case "torch._utils._rebuild_parameter":
            guard let first = args.first, case .tensor = first else { throw fail("_rebuild_parameter without a tensor") }
            return first
        case "torch._utils._rebuild_tensor_v2":
            return .tensor(try tensor(args))
        default:
            throw fail("REDUCE on \(module).\(name), which is not a callable")
        }
    }

    func tensor(_ a: [PickleValue]) throws -> PickledTensor {
        guard a.count >= 4, case let .persistent(pid) = a[0], pid.count == 5,
              case .string("storage") = pid[0], case let .global("torch", type) = pid[1], case let .string(key) = pid[2],
              case let .int(numel) = pid[4], numel >= 0,
              case let .int(offset) = a[1], offset >= 0, case let .tuple(sizeValues) = a[2], case let .tuple(strideValues) = a[3]
        else { throw fail("_rebuild_tensor_v2 with arguments other than (storage, offset, size, stride, …)") }
        func ints(_ v: [PickleValue]) throws -> [Int] {
            try v.map { x -> Int in
                guard case let .int(i) = x, i >= 0 else { throw fail("a tensor's size or stride is not a non-negative integer") }
                return i
            }
        }
        let size = try ints(sizeValues), stride = try ints(strideValues)
        guard size.count == stride.count, size.count <= 8 else { throw fail("a tensor's size and stride disagree in rank") }
        return PickledTensor(storageType: type, storageKey: key, storageNumel: numel, offset: offset, size: size, stride: stride)
    }
}
