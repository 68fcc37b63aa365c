import Foundation
import Testing
import TestSupport
import TensorIO
@testable import Tokenizer

/// Byte-level BPE files whose normalizer and pre-tokenizer are built from each component the
/// families use (golden/tokenizer_components.py): the pieces and ids `tokenizers` gives, exactly.
@Suite struct ComponentTokenizerTests {
    static let corpus = try! JSONFile.read(TestFiles.golden("tokenizer/components/corpus.json"))
    static var texts: [String] { corpus["texts"]!.arrayValue!.map { $0.stringValue! } }
    static let names = ["qwen2", "gpt2", "digits-merged-next", "split-behaviors", "inverted-lookahead"]

    static func load(_ name: String) throws -> (ByteLevelBPETokenizer, JSONValue) {
        let json = try JSONFile.read(TestFiles.golden("tokenizer/components/\(name)/tokenizer.json"))
        return (try ByteLevelBPETokenizer(json: json), corpus["cases"]![name]!)
    }

    @Test(arguments: names)
    func piecesAndIdsMatchTokenizers(_ name: String) throws {
        let (tok, expected) = try Self.load(name)
        for (i, text) in Self.texts.enumerated() {
            let normalized = tok.normalizer?.apply(text) ?? text
            let pieces = tok.preTokenizer.pieces(Array(normalized.unicodeScalars)).map { piece -> String in
                var bytes: [UInt8] = []
                for s in piece { UTF8.encode(s) { bytes.append($0) } }
                return ByteLevelAlphabet.encode(bytes)
            }
            let wantPieces = expected["pieces"]!.arrayValue![i].arrayValue!.map { $0.stringValue! }
            #expect(pieces == wantPieces, "\(name): \(text.debugDescription)")
            let wantIDs = expected["ids"]!.arrayValue![i].arrayValue!.map { $0.intValue! }
            #expect(tok.encode(text) == wantIDs, "\(name): \(text.debugDescription)")
        }
    }

    /// Qwen2's and Llama 3's exact patterns take the hand-written splitter; every other file the
    /// regex engine.
    @Test func exactFamilyPatternsTakeTheFastSplitter() throws {
        let (qwen, _) = try Self.load("qwen2")
        guard case .fast(maxDigits: 1) = qwen.preTokenizer else { Issue.record("qwen2: \(qwen.preTokenizer)"); return }
        let llama = try ByteLevelBPETokenizer(json: try JSONFile.read(TestFiles.golden("models/vila-clip-linear-f16/llm/tokenizer.json")))
        guard case .fast(maxDigits: 3) = llama.preTokenizer else { Issue.record("llama 3: \(llama.preTokenizer)"); return }
        let (gpt2, _) = try Self.load("gpt2")
        if case .fast = gpt2.preTokenizer { Issue.record("gpt2 took the fast path") }
    }

    /// The hand-written splitter against the regex engine running the same two patterns, on the
    /// corpus and on random strings drawn from the characters where the alternatives differ.
    @Test(arguments: [(PreTokenizer.llama3Pattern, 3), (PreTokenizer.qwen2Pattern, 1)])
    func handWrittenSplitterEqualsTheRegexEngine(_ c: (pattern: String, maxDigits: Int)) throws {
        let regex = try PieceRegex(c.pattern)
        let alphabet = Array("aZé1٣2 \t\n\r'sSlLdD-!.,😀\u{00a0}\u{2003}ﬁ_".unicodeScalars)
        var rng = SplitMix(seed: 7)
        var texts = Self.texts.map { Array($0.unicodeScalars) }
        for _ in 0..<400 { texts.append((0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }) }
        for t in texts {
            var fast: [Range<Int>] = []
            Llama3PreTokenizer.forEachPiece(t, maxDigits: c.maxDigits) { fast.append($0) }
            let viaRegex = PreTokenizer.split(t, matches: regex.matches(in: t), .isolated, invert: false)
            #expect(fast.map { Array(t[$0]) } == viaRegex, "\(String(String.UnicodeScalarView(t)).debugDescription)")
        }
    }

    @Test func regexEngineBasics() throws {
        func m(_ p: String, _ s: String) throws -> [String] {
            let t = Array(s.unicodeScalars)
            return try PieceRegex(p).matches(in: t).map { String(String.UnicodeScalarView(t[$0])) }
        }
        #expect(try m(#"a+?b|a"#, "aab a") == ["aab", "a"])
        #expect(try m(#"\d{2,3}"#, "1 12 1234") == ["12", "123"])
        #expect(try m(#"(?i:ab)+"#, "xAbaBy") == ["AbaB"])
        #expect(try m(#"[^\s\p{L}]+"#, "ab 1-2 c") == ["1-2"])
        #expect(try m(#"\s+(?!\S)"#, "a   b  ") == ["  ", "  "])
        #expect(try m(#"[a-c\-x]+"#, "zab-xcq") == ["ab-xc"])
        #expect(try m(#"\p{Lu}\P{Lu}*"#, "HelloWorld") == ["Hello", "World"])
        #expect(try m(#"\x41\u{1F600}"#, "A😀") == ["A😀"])
        #expect(try m(#"a|ab"#, "ab") == ["a"])                  // leftmost-first, not longest
        #expect(try m(#"(a|ab)(c|bcd)"#, "abcd") == ["abcd"])    // backtracks into the next group
        #expect(try m(#"a*+a"#, "aaa") == [])                    // possessive gives nothing back
        for bad in [#"^a"#, #"a\b"#, #"(?<name>a)"#, #"\p{Greek}"#, #"[a"#, #"a{3,1}"#, #"(a"#, #"a)"#, #"*a"#] {
            #expect(throws: PieceRegex.ParseError.self, "\(bad)") { _ = try PieceRegex(bad) }
        }
    }

    /// A long run of spaces or letters must not exhaust the stack (single-scalar repeats loop).
    @Test func longRunsMatchWithoutDeepRecursion() throws {
        let regex = try PieceRegex(PreTokenizer.gpt2Pattern)
        let text = Array((String(repeating: " ", count: 200_000) + "x" + String(repeating: "y", count: 200_000)).unicodeScalars)
        #expect(regex.matches(in: text).map(\.count) == [199_999, 200_002])  // \s+(?!\S), then " x" and the y's
    }

    @Test func unsupportedComponentsAreRefusedByName() throws {
        let json = try JSONFile.read(TestFiles.golden("tokenizer/components/gpt2/tokenizer.json"))
        func error(_ key: String, _ value: JSONValue) -> String {
            guard case .object(var members) = json else { return "not an object" }
            members = members.map { $0.key == key ? (key, value) : $0 }
            do { _ = try ByteLevelBPETokenizer(json: .object(members)); return "no error" } catch { return "\(error)" }
        }
        #expect(error("pre_tokenizer", .object([("type", .string("Whitespace"))])).contains("pre_tokenizer: Whitespace is not supported"))
        #expect(error("pre_tokenizer", .null).contains("byte-level BPE needs a ByteLevel pre-tokenizer"))
        #expect(error("pre_tokenizer", .object([("type", .string("Split")), ("pattern", .object([("Regex", .string("a\\b"))])),
                                                ("behavior", .string("Isolated"))])).contains("escape \\b is not supported"))
        #expect(error("normalizer", .object([("type", .string("BertNormalizer"))])).contains("normalizer: BertNormalizer is not supported"))
        #expect(error("decoder", .object([("type", .string("WordPiece"))])).contains("decoder: WordPiece is not supported"))
    }

    /// Qwen2's NFC normalizer: text with combining accents gets the ids of its composed form.
    @Test func nfcComposesBeforeSplitting() throws {
        let (tok, _) = try Self.load("qwen2")
        #expect(tok.encode("e\u{0301}cole") == tok.encode("\u{00e9}cole"))
        #expect(tok.encode("\u{212b}") == tok.encode("\u{00c5}"))
    }
}
