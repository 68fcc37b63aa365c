/// What json-c's strict mode still lets through, checked on the raw text of a document json-c
/// has already accepted (so the scan only needs to follow strings and brackets):
/// - a key repeated inside one object (json-c keeps only the last);
/// - single-quoted strings, `NaN`, `Infinity`, `1.` and raw control characters in strings,
///   none of which is JSON (RFC 8259) and none of which Python's json or serde_json writes.
/// Keys are compared after decoding their escapes (through json-c), so `"a"` and `"\u0061"`
/// count as the same key.
enum JSONStrictScan {
    enum Finding {
        case duplicateKey(String, offset: Int)
        case notJSON(String, offset: Int)
    }

    /// Bytes allowed outside strings: white space, punctuation, number characters and the
    /// letters of true, false and null.
    static let allowedOutsideStrings: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in " \t\n\r{}[],:0123456789+-.eEtruefalsn".utf8 { t[Int(c)] = true }
        return t
    }()

    /// `allowNonFinite` lets `NaN`, `Infinity` and `-Infinity` through, as Python's json both
    /// writes and reads them (config files); safetensors headers never allow them.
    static func first(in bytes: UnsafeRawBufferPointer, allowNonFinite: Bool = false) -> Finding? {
        // One frame per open container: -1 for arrays, else an index into `keySets`.
        var frames: [Int] = []
        // Keys compare by their UTF-8 bytes: Swift's String equality is canonical equivalence, under
        // which "\u{3AF}" and "\u{1F77}" (Llama 2's vocabulary has both) would collide.
        var keySets: [Set<[UInt8]>] = []
        var expectKey = false
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"):
                frames.append(keySets.count)
                keySets.append([])
                expectKey = true
                i += 1
            case UInt8(ascii: "["):
                frames.append(-1)
                expectKey = false
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if let top = frames.popLast(), top >= 0 { keySets.removeLast() }
                expectKey = false
                i += 1
            case UInt8(ascii: ","):
                if let top = frames.last { expectKey = top >= 0 }
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < n && bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] < 0x20 { return .notJSON("control character \(bytes[i]) inside a string must be escaped", offset: i) }
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                i += 1
                if expectKey, let top = frames.last, top >= 0 {
                    let literal = UnsafeRawBufferPointer(rebasing: bytes[start..<min(i, n)])
                    let key: String
                    if literal.contains(UInt8(ascii: "\\")) {
                        key = JSONParser.decodeStringLiteral(literal) ?? String(decoding: literal, as: UTF8.self)
                    } else {
                        key = String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                    }
                    if !keySets[top].insert(Array(key.utf8)).inserted { return .duplicateKey(key, offset: start) }
                    expectKey = false
                }
            case UInt8(ascii: "."):
                if i + 1 >= n || !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 1]) {
                    return .notJSON("a number must have digits after its decimal point", offset: i)
                }
                i += 1
            case UInt8(ascii: "N"), UInt8(ascii: "I"):
                let word = c == UInt8(ascii: "N") ? "NaN" : "Infinity"
                guard allowNonFinite, i + word.utf8.count <= n,
                      bytes[i..<(i + word.utf8.count)].elementsEqual(word.utf8) else {
                    return .notJSON("NaN and Infinity are not JSON", offset: i)
                }
                i += word.utf8.count
            default:
                if !allowedOutsideStrings[Int(c)] {
                    let what = c == UInt8(ascii: "'") ? "single-quoted strings are" : "byte \(c) is"
                    return .notJSON("\(what) not JSON", offset: i)
                }
                i += 1
            }
        }
        return nil
    }
}
