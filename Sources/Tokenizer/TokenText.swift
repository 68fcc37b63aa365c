/// A vocabulary key: a token's text compared and hashed by its Unicode scalars (UTF-8 bytes).
///
/// Swift's `String` equality is canonical equivalence, under which distinct tokens collide:
/// Llama 2's vocabulary holds "ί" both as U+03AF and as U+1F77, and the Kelvin sign U+212A equals
/// "K". Every vocabulary, merge and piece lookup goes through this type so each spelling keeps
/// its own id, as in `tokenizers` and `sentencepiece` (which compare bytes).
public struct TokenText: Hashable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) {
        var s = string
        s.makeContiguousUTF8()
        self.string = s
    }

    public var description: String { string }

    public static func == (a: TokenText, b: TokenText) -> Bool {
        a.string.utf8.elementsEqual(b.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        // Contiguous since init; the copy is only a fallback and hashes the same bytes.
        if string.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}

/// A vocabulary keyed by token text as bytes.
public typealias Vocabulary = [TokenText: Int]
