/// Turns any `Encodable` into a `JSONValue`, so that every JSON vlmkit writes — files and `--json`
/// reports alike — goes through one writer (`JSONValue.serialized` / `pretty`). Keys can be
/// converted to snake_case the way Foundation's `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase`
/// does (a test compares the two on the CLI's report types).
public struct JSONValueEncoder {
    public var snakeCaseKeys: Bool

    public init(snakeCaseKeys: Bool = false) { self.snakeCaseKeys = snakeCaseKeys }

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = Node()
        try value.encode(to: EncoderImpl(node: root, options: self, codingPath: []))
        return root.resolved()
    }

    /// Foundation's snake_case conversion: words start at an upper-case letter; a run of capitals
    /// followed by a lower-case letter gives its last capital to the next word ("myURLKey" → "my_url_key").
    public static func snakeCase(_ key: String) -> String {
        let c = Array(key)
        guard !c.isEmpty else { return key }
        func next(_ from: Int, _ test: (Character) -> Bool) -> Int? {
            var k = from
            while k < c.count { if test(c[k]) { return k }; k += 1 }
            return nil
        }
        var words: [Range<Int>] = []
        var wordStart = 0
        var search = 1
        while search < c.count, let upper = next(search, { $0.isUppercase }) {
            words.append(wordStart..<upper)
            guard let lower = next(upper, { $0.isLowercase }) else {
                wordStart = upper
                search = c.count
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                words.append(upper..<(lower - 1))
                wordStart = lower - 1
            }
            search = lower + 1
        }
        words.append(wordStart..<c.count)
        return words.map { String(c[$0]).lowercased() }.joined(separator: "_")
    }

    // MARK: the encoder's containers write into a tree of nodes

    final class Node {
        var value: JSONValue?
        var members: [(String, Node)] = []
        var items: [Node] = []
        var kind = 0  // 0 single, 1 object, 2 array

        func resolved() -> JSONValue {
            switch kind {
            case 1: return .object(members.map { ($0.0, $0.1.resolved()) })
            case 2: return .array(items.map { $0.resolved() })
            default: return value ?? .null
            }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
    }

    struct EncoderImpl: Encoder {
        let node: Node
        let options: JSONValueEncoder
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<K: CodingKey>(keyedBy type: K.Type) -> KeyedEncodingContainer<K> {
            node.kind = 1
            return KeyedEncodingContainer(Keyed<K>(node: node, options: options, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.kind = 2
            return Unkeyed(node: node, options: options, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(node: node, options: options, codingPath: codingPath)
        }
    }

    static func encodeValue<T: Encodable>(_ v: T, into node: Node, options: JSONValueEncoder, path: [any CodingKey]) throws {
        try v.encode(to: EncoderImpl(node: node, options: options, codingPath: path))
        node.value = node.resolved()
        if node.kind != 0 { node.kind = 0 }
    }

    struct Keyed<K: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let options: JSONValueEncoder
        var codingPath: [any CodingKey]

        func name(_ key: K) -> String { options.snakeCaseKeys ? JSONValueEncoder.snakeCase(key.stringValue) : key.stringValue }

        func child(_ key: K) -> Node {
            let n = Node()
            node.members.append((name(key), n))
            return n
        }

        mutating func encodeNil(forKey key: K) throws { child(key).value = .null }
        mutating func encode<T: Encodable>(_ value: T, forKey key: K) throws {
            try JSONValueEncoder.encodeValue(value, into: child(key), options: options, path: codingPath + [key])
        }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: K) throws {
            guard let value else { return }  // as JSONEncoder: absent optionals are left out
            try encode(value, forKey: key)
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: K) -> KeyedEncodingContainer<N> {
            let n = child(key)
            n.kind = 1
            return KeyedEncodingContainer(Keyed<N>(node: n, options: options, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: K) -> any UnkeyedEncodingContainer {
            let n = child(key)
            n.kind = 2
            return Unkeyed(node: n, options: options, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> any Encoder { EncoderImpl(node: node, options: options, codingPath: codingPath) }
        mutating func superEncoder(forKey key: K) -> any Encoder { EncoderImpl(node: child(key), options: options, codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let options: JSONValueEncoder
        var codingPath: [any CodingKey]
        var count: Int { node.items.count }

        func next() -> Node {
            let n = Node()
            node.items.append(n)
            return n
        }

        mutating func encodeNil() throws { next().value = .null }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try JSONValueEncoder.encodeValue(value, into: next(), options: options, path: codingPath + [Key(intValue: count)])
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type) -> KeyedEncodingContainer<N> {
            let n = next()
            n.kind = 1
            return KeyedEncodingContainer(Keyed<N>(node: n, options: options, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let n = next()
            n.kind = 2
            return Unkeyed(node: n, options: options, codingPath: codingPath)
        }
        mutating func superEncoder() -> any Encoder { EncoderImpl(node: next(), options: options, codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        let options: JSONValueEncoder
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.value = .null }
        mutating func encode(_ v: Bool) throws { node.value = .bool(v) }
        mutating func encode(_ v: String) throws { node.value = .string(v) }
        mutating func encode(_ v: Double) throws { node.value = .double(v) }
        mutating func encode(_ v: Float) throws { node.value = .double(Double("\(v)") ?? Double(v)) }  // shortest Float text, as JSONEncoder
        mutating func encode(_ v: Int) throws { node.value = .int(Int64(v)) }
        mutating func encode(_ v: Int8) throws { node.value = .int(Int64(v)) }
        mutating func encode(_ v: Int16) throws { node.value = .int(Int64(v)) }
        mutating func encode(_ v: Int32) throws { node.value = .int(Int64(v)) }
        mutating func encode(_ v: Int64) throws { node.value = .int(v) }
        mutating func encode(_ v: UInt) throws { node.value = .uint(UInt64(v)) }
        mutating func encode(_ v: UInt8) throws { node.value = .uint(UInt64(v)) }
        mutating func encode(_ v: UInt16) throws { node.value = .uint(UInt64(v)) }
        mutating func encode(_ v: UInt32) throws { node.value = .uint(UInt64(v)) }
        mutating func encode(_ v: UInt64) throws { node.value = .uint(v) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try JSONValueEncoder.encodeValue(value, into: node, options: options, path: codingPath)
        }
    }
}
