import Foundation
import Testing
import TestSupport
import TensorIO
@testable import Tokenizer

/// Encoding and decoding must match the reference libraries exactly on golden/tokenizer/corpus.json
/// (ids written by `tokenizers` and `sentencepiece` in golden/generate.py).
@Suite struct CorpusTests {
    static let corpus = try! JSONFile.read(TestFiles.golden("tokenizer/corpus.json"))
    static var texts: [String] { corpus["texts"]!.arrayValue!.map { $0.stringValue! } }
    static func ids(_ kind: String, _ key: String) -> [[Int]] {
        corpus[kind]![key]!.arrayValue!.map { $0.arrayValue!.map { $0.intValue! } }
    }

    @Test func byteLevelBPEMatchesTokenizers() throws {
        let json = try JSONFile.read(TestFiles.golden("models/vila-clip-linear-f16/llm/tokenizer.json"))
        let tok = try ByteLevelBPETokenizer(json: json)
        let plain = Self.ids("byte_level", "ids"), special = Self.ids("byte_level", "ids_with_special")
        let decoded = Self.corpus["byte_level"]!["decoded"]!.arrayValue!.map { $0.stringValue! }
        for (i, text) in Self.texts.enumerated() {
            #expect(tok.encode(text) == plain[i], "\(text.debugDescription)")
            #expect(tok.encode(text, addSpecialTokens: true) == special[i], "\(text.debugDescription)")
            #expect(tok.decode(plain[i]) == decoded[i], "\(text.debugDescription)")
        }
    }

    @Test func sentencePieceMatchesTheSentencePieceLibrary() throws {
        let path = TestFiles.golden("models/vila-siglip-downsample-f32/llm/tokenizer.model")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let tok = SentencePieceTokenizer(try SentencePieceModel(bytes: bytes, file: path))
        let expected = Self.ids("sentencepiece", "ids")
        let decoded = Self.corpus["sentencepiece"]!["decoded"]!.arrayValue!.map { $0.stringValue! }
        for (i, text) in Self.texts.enumerated() {
            #expect(tok.encode(text) == expected[i], "\(text.debugDescription)")
            #expect(tok.decode(expected[i]) == decoded[i], "\(text.debugDescription)")
        }
    }

    @Test func llama3PreTokenizerSplitsLikeTheRegex() {
        #expect(Llama3PreTokenizer.split("Hello world") == ["Hello", " world"])
        #expect(Llama3PreTokenizer.split("it's  ok\n\n x") == ["it", "'s", " ", " ok", "\n\n", " x"])
        #expect(Llama3PreTokenizer.split("1234567") == ["123", "456", "7"])
        #expect(Llama3PreTokenizer.split("a   ") == ["a", "   "])
        #expect(Llama3PreTokenizer.split("x+=y!\n") == ["x", "+=", "y", "!\n"])
    }
}
