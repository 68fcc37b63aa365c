/// A SentencePiece `tokenizer.model` (a protobuf `ModelProto`), read for what GGUF's `llama`
/// tokenizer needs: pieces with scores and types, special ids and the dummy-prefix setting.
/// Only the fields used are decoded; the rest is skipped. Every length is checked against the file.
public struct SentencePieceModel: Sendable {
    public struct Piece: Sendable, Equatable {
        public let text: String
        public let score: Float
        /// SentencePiece piece types, numbered as llama.cpp's token types: 1 normal, 2 unknown,
        /// 3 control, 4 user-defined, 5 unused, 6 byte.
        public let type: Int32

        public init(text: String, score: Float, type: Int32) {
            self.text = text
            self.score = score
            self.type = type
        }
    }

    public let pieces: [Piece]
    public let unkID: Int
    public let bosID: Int
    public let eosID: Int
    public let addDummyPrefix: Bool
    /// TrainerSpec.model_type: 1 unigram, 2 BPE, 3 word, 4 char.
    public let modelType: Int

    public static let modelTypeNames = [1: "unigram", 2: "BPE", 3: "word", 4: "char"]

    public struct ParseError: Error, CustomStringConvertible {
        public let file: String
        public let detail: String
        public var description: String { "\(file): not a SentencePiece model: \(detail)" }
    }

    public init(bytes: [UInt8], file: String) throws {
        var r = ProtoReader(bytes: bytes[...], file: file)
        var pieces: [Piece] = []
        var unk = 0, bos = 1, eos = 2, modelType = 1
        var dummy = true
        // A field we read must come with its wire type: skipping a mistyped piece would shift
        // every later id by one.
        func requireWire(_ found: Int, _ expected: Int, _ what: String) throws {
            guard found == expected else {
                throw ParseError(file: file, detail: "\(what) has wire type \(found), expected \(expected)")
            }
        }
        while let (field, wire) = try r.nextKey() {
            if (1...3).contains(field) {
                try requireWire(wire, 2, ["pieces", "trainer_spec", "normalizer_spec"][field - 1] + " (field \(field))")
            }
            switch (field, wire) {
            case (1, 2):
                var p = ProtoReader(bytes: try r.lengthDelimited(), file: file)
                var text = "", score: Float = 0, type: Int32 = 1
                let index = pieces.count
                while let (f, w) = try p.nextKey() {
                    switch f {
                    case 1:
                        try requireWire(w, 2, "piece \(index)'s text")
                        let raw = try p.lengthDelimited()
                        guard let t = String(validating: raw, as: UTF8.self) else {
                            throw ParseError(file: file, detail: "piece \(index)'s text is not UTF-8")
                        }
                        text = t
                    case 2:
                        try requireWire(w, 5, "piece \(index)'s score")
                        score = Float(bitPattern: try p.fixed32())
                    case 3:
                        try requireWire(w, 0, "piece \(index)'s type")
                        let v = try p.varint()
                        guard (1...6).contains(v) else {
                            throw ParseError(file: file, detail: "piece \(index) has type \(v), outside SentencePiece's types 1…6")
                        }
                        type = Int32(v)
                    default: try p.skip(w)
                    }
                }
                pieces.append(Piece(text: text, score: score, type: type))
            case (2, 2):
                var t = ProtoReader(bytes: try r.lengthDelimited(), file: file)
                while let (f, w) = try t.nextKey() {
                    if [3, 40, 41, 42].contains(f) { try requireWire(w, 0, "trainer_spec field \(f)") }
                    switch (f, w) {
                    case (3, 0): modelType = Int(truncatingIfNeeded: try t.varint())
                    case (40, 0): unk = Int(Int32(truncatingIfNeeded: try t.varint()))
                    case (41, 0): bos = Int(Int32(truncatingIfNeeded: try t.varint()))
                    case (42, 0): eos = Int(Int32(truncatingIfNeeded: try t.varint()))
                    default: try t.skip(w)
                    }
                }
            case (3, 2):
                var n = ProtoReader(bytes: try r.lengthDelimited(), file: file)
                while let (f, w) = try n.nextKey() {
                    if f == 3 { try requireWire(w, 0, "normalizer_spec.add_dummy_prefix") }
                    if (f, w) == (3, 0) { dummy = try n.varint() != 0 } else { try n.skip(w) }
                }
            default:
                try r.skip(wire)
            }
        }
        guard !pieces.isEmpty else { throw ParseError(file: file, detail: "no pieces") }
        for (name, id) in [("unk_id", unk), ("bos_id", bos), ("eos_id", eos)] where id >= pieces.count {
            throw ParseError(file: file, detail: "\(name) \(id) is not a piece (the model has \(pieces.count))")
        }
        self.pieces = pieces
        unkID = unk
        bosID = bos
        eosID = eos
        addDummyPrefix = dummy
        self.modelType = modelType
    }
}

/// Protobuf wire-format reading over a byte slice, bounded by it.
struct ProtoReader {
    var bytes: ArraySlice<UInt8>
    let file: String

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard let b = bytes.popFirst() else { throw SentencePieceModel.ParseError(file: file, detail: "truncated varint") }
            guard shift < 64 else { throw SentencePieceModel.ParseError(file: file, detail: "varint too long") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func nextKey() throws -> (Int, Int)? {
        guard !bytes.isEmpty else { return nil }
        let key = try varint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count else { throw SentencePieceModel.ParseError(file: file, detail: "field of \(n) bytes past the end") }
        let out = bytes.prefix(n)
        bytes = bytes.dropFirst(n)
        return out
    }

    mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
        let n = try varint()
        guard n <= UInt64(bytes.count) else { throw SentencePieceModel.ParseError(file: file, detail: "field of \(n) bytes past the end") }
        return try take(Int(n))
    }

    mutating func fixed32() throws -> UInt32 {
        let b = try take(4)
        return b.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: _ = try take(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try take(4)
        default: throw SentencePieceModel.ParseError(file: file, detail: "wire type \(wire) not supported")
        }
    }
}
