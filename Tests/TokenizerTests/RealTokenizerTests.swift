import Foundation
import TensorIO
import TestSupport
import Testing
import Tokenizer

/// Real vocabularies (Llama 2's SentencePiece model and tokenizer.json, Llama 3's and Qwen2's tokenizer.json,
/// rebuilt by golden/real_tokenizers.py from llama.cpp's vocab GGUFs) against the ids
/// `sentencepiece` and `tokenizers` give — which equal Hugging Face's on llama.cpp's test texts.
@Suite struct RealTokenizerTests {
    static let root = TestFiles.golden("tokenizer/real")
    static let expected = try! JSONParser.parse(String(contentsOfFile: root + "/expected.json", encoding: .utf8))

    static func json(_ family: String) throws -> TextTokenizer {
        let path = root + "/\(family)/tokenizer.json"
        let file = try MappedFile(path: path)
        return try TextTokenizer.load(sentencePieceModel: nil, tokenizerJSON: try JSONParser.parse(file.bytes), file: path)
    }

    static func ids(_ v: JSONValue?) -> [[Int]] { v!.arrayValue!.map { $0.arrayValue!.map { $0.intValue! } } }
    static func texts(_ family: String) -> [String] { expected[family]!["texts"]!.arrayValue!.map { $0.stringValue! } }

    @Test func llama2SentencePieceModelGivesSentencepieceIDs() throws {
        let path = Self.root + "/llama2/tokenizer.model"
        let t = try TextTokenizer.load(sentencePieceModel: Array(try Data(contentsOf: URL(fileURLWithPath: path))), tokenizerJSON: nil, file: path)
        let want = Self.ids(Self.expected["llama2"]!["sentencepiece_ids"])
        for (i, text) in Self.texts("llama2").enumerated() {
            #expect(t.encode(text, addSpecialTokens: false) == want[i], "text \(i): \(text.debugDescription)")
        }
        #expect(t.encode("x", addSpecialTokens: true).first == 1)
    }

    /// The published Llama 2 tokenizer.json holds six Greek letters twice (tonos and oxia): it
    /// loads, and each spelling keeps its id.
    @Test(arguments: ["llama2", "llama3", "qwen2"])
    func tokenizerJSONGivesTokenizersIDs(_ family: String) throws {
        let t = try Self.json(family)
        let e = Self.expected[family]!
        let plain = Self.ids(e["tokenizers_ids"]), special = Self.ids(e["tokenizers_ids_with_special"])
        let decoded = e["tokenizers_decoded"]!.arrayValue!.map { $0.stringValue! }
        let texts = Self.texts(family)
        #expect(texts.count >= 50)
        for (i, text) in texts.enumerated() {
            #expect(t.encode(text, addSpecialTokens: false) == plain[i], "\(family) text \(i): \(text.debugDescription)")
            #expect(t.encode(text, addSpecialTokens: true) == special[i], "\(family) text \(i) with special tokens")
            // tokenizers' decode skips special tokens by default.
            #expect(t.decode(plain[i], skipSpecial: true) == decoded[i], "\(family) decode \(i)")
        }
    }

    /// Qwen2 adds no BOS, splits numbers into single digits, and composes accents (NFC) first.
    @Test func qwen2SplitsDigitsAndComposesAccents() throws {
        let t = try Self.json("qwen2")
        #expect(t.bosID == nil)
        #expect(t.encode("2026", addSpecialTokens: true).count == 4)
        #expect(t.encode("cafe\u{0301}", addSpecialTokens: false) == t.encode("caf\u{00e9}", addSpecialTokens: false))
    }

    /// Llama 3's post-processor is a Sequence (ByteLevel, then TemplateProcessing): BOS is added.
    @Test func llama3AddsBeginOfTextThroughTheSequencePostProcessor() throws {
        let t = try Self.json("llama3")
        #expect(t.bosID == 128000)
        #expect(t.encode("Hello", addSpecialTokens: true).first == 128000)
    }
}
