import CJSONC

/// Errors of JSON parsing, with the position json-c reports.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let offset: Int
    /// Set when the error is a key repeated in one object.
    public var duplicateKey: String? = nil
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Strict JSON parsing through json-c.
///
/// json-c does the grammar (strict mode, UTF-8 validated, nesting bounded); on top of it we
/// reject what json-c would silently accept: trailing bytes and repeated keys in one object
/// (json-c keeps only the last, and a safetensors header with a repeated tensor name must fail).
public enum JSONParser {
    /// Nesting deeper than this is refused; every format we read needs fewer than ten levels.
    public static let maxDepth: Int32 = 64

    /// Parses one JSON document. `allowNonFinite` accepts `NaN` and `±Infinity` as Python's json
    /// writes them (for config files); safetensors headers are parsed without it.
    public static func parse(_ bytes: UnsafeRawBufferPointer, allowNonFinite: Bool = false) throws -> JSONValue {
        guard bytes.count < Int(Int32.max) else {
            throw JSONParseError(message: "document too large (\(bytes.count) bytes)", offset: 0)
        }
        guard let tok = json_tokener_new_ex(maxDepth) else {
            throw JSONParseError(message: "json-c could not allocate a tokenizer", offset: 0)
        }
        defer { json_tokener_free(tok) }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        let empty: [CChar] = [0]
        let root: OpaquePointer? = empty.withUnsafeBufferPointer { e in
            json_tokener_parse_ex(tok, base ?? e.baseAddress, Int32(bytes.count))
        }
        let err = json_tokener_get_error(tok)
        let consumed = Int(json_tokener_get_parse_end(tok))
        guard let root, err == json_tokener_success else {
            if let root { json_object_put(root) }
            let msg: String
            if err == json_tokener_continue {
                msg = "unexpected end of document"
            } else if err == json_tokener_error_depth {
                msg = "nesting deeper than \(maxDepth) levels"
            } else {
                msg = String(cString: json_tokener_error_desc(err))
            }
            throw JSONParseError(message: msg, offset: consumed)
        }
        defer { json_object_put(root) }
        // Anything but white space after the value is an error.
        var i = consumed
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: throw JSONParseError(message: "unexpected bytes after the JSON value", offset: i)
            }
        }
        switch JSONStrictScan.first(in: bytes, allowNonFinite: allowNonFinite) {
        case nil: break
        case let .duplicateKey(key, offset)?:
            throw JSONParseError(message: "key \"\(key)\" appears twice in one object", offset: offset, duplicateKey: key)
        case let .notJSON(message, offset)?:
            throw JSONParseError(message: message, offset: offset)
        }
        return convert(root)
    }

    public static func parse(_ text: String, allowNonFinite: Bool = false) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(UnsafeRawBufferPointer($0), allowNonFinite: allowNonFinite) }
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    private static func convert(_ obj: OpaquePointer?) -> JSONValue {
        guard let obj else { return .null }
        switch json_object_get_type(obj) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(obj) != 0)
        case json_type_double: return .double(json_object_get_double(obj))
        case json_type_int:
            let signed = json_object_get_int64(obj)
            if signed == Int64.max {
                let unsigned = json_object_get_uint64(obj)
                if unsigned > UInt64(Int64.max) { return .uint(unsigned) }
            }
            return .int(signed)
        case json_type_string: return .string(string(of: obj))
        case json_type_array:
            let n = json_object_array_length(obj)
            var items = [JSONValue]()
            items.reserveCapacity(n)
            for i in 0..<n { items.append(convert(json_object_array_get_idx(obj, i))) }
            return .array(items)
        case json_type_object:
            var members = [(key: String, value: JSONValue)]()
            var it = json_object_iter_begin(obj)
            var end = json_object_iter_end(obj)
            while json_object_iter_equal(&it, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&it))
                members.append((key, convert(json_object_iter_peek_value(&it))))
                json_object_iter_next(&it)
            }
            return .object(members)
        default: return .null
        }
    }

    /// A string value, including any embedded NUL characters.
    static func string(of obj: OpaquePointer) -> String {
        let len = Int(json_object_get_string_len(obj))
        guard let p = json_object_get_string(obj) else { return "" }
        return p.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    /// Decodes one JSON string literal (with its quotes) through json-c, so that escapes are
    /// read exactly as the main parse reads them.
    static func decodeStringLiteral(_ literal: UnsafeRawBufferPointer) -> String? {
        guard let tok = json_tokener_new_ex(2) else { return nil }
        defer { json_tokener_free(tok) }
        guard let base = literal.baseAddress?.assumingMemoryBound(to: CChar.self),
              let obj = json_tokener_parse_ex(tok, base, Int32(literal.count)) else { return nil }
        defer { json_object_put(obj) }
        guard json_object_get_type(obj) == json_type_string else { return nil }
        return string(of: obj)
    }
}
