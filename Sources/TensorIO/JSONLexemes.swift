/// Strings and numbers of the strict JSON parser.
extension JSONReader {
    /// A string literal at `i` (on its opening quote), decoded.
    mutating func string() throws -> String {
        let open = i
        i += 1
        let start = i
        // Fast path: no escapes, then validate the UTF-8 once.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                i += 1
                return try utf8(raw, at: start)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character \(c) inside a string must be escaped") }
            i += 1
        }
        guard i < bytes.count else { throw fail("unexpected end of document (a string opened at byte \(open))") }
        // Slow path: copy the plain runs and decode the escapes.
        var out: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while true {
            guard i < bytes.count else { throw fail("unexpected end of document (a string opened at byte \(open))") }
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return try out.withUnsafeBytes { try utf8($0, at: start) }
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0..<0x20:
                throw fail("control character \(c) inside a string must be escaped")
            default:
                out.append(c)
                i += 1
            }
        }
    }

    func utf8(_ raw: UnsafeRawBufferPointer, at offset: Int) throws -> String {
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: offset) }
        return s
    }

    /// One escape sequence at `i` (on its backslash), appended as UTF-8.
    mutating func escape(into out: inout [UInt8]) throws {
        guard i + 1 < bytes.count else { throw fail("unexpected end of document") }
        let c = bytes[i + 1]
        i += 2
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate pairs with an escaped low one; alone it is U+FFFD.
                if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        scalar = 0xFFFD
                        i = save
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(scalar) {
                scalar = 0xFFFD
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw fail("unknown escape '\\\(Character(Unicode.Scalar(c)))' in a string", at: i - 2)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("unexpected end of document") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("\\u must be followed by four hex digits", at: i + k)
            }
            v = v << 4 | UInt32(d)
        }
        i += 4
        return v
    }

    /// A number at `i`: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, or -Infinity when allowed.
    mutating func number() throws -> JSONValue {
        let start = i
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "I") { try nonFinite("Infinity"); return .double(-.infinity) }
        }
        func isDigit(_ k: Int) -> Bool { k < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[k]) }
        guard isDigit(i) else { throw fail("a number needs a digit here") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw fail("numbers must not have leading zeros") }
        } else {
            while isDigit(i) { i += 1 }
        }
        var integral = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard isDigit(i) else { throw fail("a number must have digits after its decimal point") }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw fail("an exponent needs digits") }
            while isDigit(i) { i += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if integral {
            if let v = Int64(text) { return .int(v) }
            if !negative, let v = UInt64(text) { return .uint(v) }
        }
        guard let d = Double(text) else { throw fail("number \(text) cannot be read", at: start) }
        return .double(d)
    }
}
