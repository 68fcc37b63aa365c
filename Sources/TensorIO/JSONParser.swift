/// Errors of JSON parsing, with the byte offset where the document stops being JSON.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let offset: Int
    /// Set when the error is a key repeated in one object.
    public var duplicateKey: String? = nil
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Strict JSON (RFC 8259) in one pass over the bytes, written for the documents we read:
/// safetensors headers, configs, indexes, tokenizer files.
///
/// Stricter than the grammar alone, as a header or config must be unambiguous:
/// - a key repeated in one object is an error (keys compared by their decoded UTF-8 bytes, so
///   `"a"` and `"\u0061"` are the same key, while canonically equivalent spellings are not);
/// - strings must be valid UTF-8; escaped lone surrogates become U+FFFD;
/// - nesting is limited to `maxDepth`;
/// - nothing but white space may follow the value.
/// `NaN`, `Infinity` and `-Infinity` (which Python's json writes into configs) are accepted only
/// when asked for. Integers without fraction or exponent are kept as integers; those beyond
/// `UInt64` become doubles.
public enum JSONParser {
    /// Nesting deeper than this is refused; every format we read needs fewer than ten levels.
    public static let maxDepth = 64

    public static func parse(_ bytes: UnsafeRawBufferPointer, allowNonFinite: Bool = false) throws -> JSONValue {
        var reader = JSONReader(bytes: bytes, allowNonFinite: allowNonFinite)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        if reader.i < bytes.count { throw reader.fail("unexpected bytes after the JSON value") }
        return value
    }

    public static func parse(_ text: String, allowNonFinite: Bool = false) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(UnsafeRawBufferPointer($0), allowNonFinite: allowNonFinite) }
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0) }
    }
}

/// An object key compared and hashed by its UTF-8 bytes (Swift's `String` equality is canonical
/// equivalence, under which "\u{3AF}" and "\u{1F77}" — both in Llama 2's vocabulary — collide).
private struct ByteKey: Hashable {
    var text: String

    static func == (a: ByteKey, b: ByteKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var t = text
        t.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// The parser's position in a document (values here; strings and numbers in JSONLexemes.swift).
struct JSONReader {
    let bytes: UnsafeRawBufferPointer
    let allowNonFinite: Bool
    var i = 0

    init(bytes: UnsafeRawBufferPointer, allowNonFinite: Bool) {
        self.bytes = bytes
        self.allowNonFinite = allowNonFinite
    }

    func fail(_ message: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(message: message, offset: offset ?? i)
    }

    var atEnd: Bool { i >= bytes.count }

    mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    func peek() throws -> UInt8 {
        guard i < bytes.count else { throw fail("unexpected end of document") }
        return bytes[i]
    }

    mutating func value(depth: Int) throws -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"): try nonFinite("NaN"); return .double(.nan)
        case UInt8(ascii: "I"): try nonFinite("Infinity"); return .double(.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "'"): throw fail("single-quoted strings are not JSON")
        case let c: throw fail(c < 0x80 ? "unexpected character '\(Character(Unicode.Scalar(c)))'" : "byte \(c) is not JSON")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: n)
        guard i + n <= bytes.count, bytes[i..<(i + n)].elementsEqual(expected) else {
            throw fail("unexpected word (expected \(word))")
        }
        i += n
    }

    mutating func nonFinite(_ word: StaticString) throws {
        guard allowNonFinite else { throw fail("NaN and Infinity are not JSON") }
        try literal(word)
    }

    mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth) levels") }
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<ByteKey>()
        skipSpace()
        if try peek() == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            let start = i
            switch try peek() {
            case UInt8(ascii: "\""): break
            case UInt8(ascii: "'"): throw fail("single-quoted strings are not JSON")
            default: throw fail("expected a string key")
            }
            let key = try string()
            guard seen.insert(ByteKey(text: key)).inserted else {
                throw JSONParseError(message: "key \"\(key)\" appears twice in one object", offset: start, duplicateKey: key)
            }
            skipSpace()
            guard try peek() == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
            i += 1
            skipSpace()
            members.append((key, try value(depth: depth)))
            skipSpace()
            switch try peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"): i += 1; return .object(members)
            default: throw fail("expected ',' or '}' in an object")
            }
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth) levels") }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if try peek() == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            switch try peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "]"): i += 1; return .array(items)
            default: throw fail("expected ',' or ']' in an array")
            }
        }
    }
}
