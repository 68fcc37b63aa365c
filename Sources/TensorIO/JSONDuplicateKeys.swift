/// Finds a key repeated inside one JSON object.
///
/// json-c's parser keeps only the last of repeated keys, so this scan runs over the raw text
/// of a document json-c has already accepted: it only needs to follow strings and brackets.
/// Keys are compared after decoding their escapes (through json-c), so `"a"` and `"\u0061"`
/// count as the same key.
enum JSONDuplicateKeys {
    struct Found { let key: String; let offset: Int }

    static func first(in bytes: UnsafeRawBufferPointer) -> Found? {
        // One frame per open container: -1 for arrays, else an index into `keySets`.
        var frames: [Int] = []
        var keySets: [Set<String>] = []
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
                    if !keySets[top].insert(key).inserted { return Found(key: key, offset: start) }
                    expectKey = false
                }
            default:
                i += 1
            }
        }
        return nil
    }
}
