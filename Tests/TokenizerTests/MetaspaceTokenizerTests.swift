import Foundation
import TensorIO
import TestSupport
import Testing
import Tokenizer

/// Llama-2-style tokenizer.json (BPE with byte fallback, both spellings) against `tokenizers`
/// (golden/tokenizer/metaspace-corpus.json, written by golden/generate.py).
@Suite struct MetaspaceTokenizerTests {
    static let corpus = try! JSONParser.parse(String(contentsOfFile: TestFiles.golden("tokenizer/metaspace-corpus.json"), encoding: .utf8))

    static func tokenizer(_ name: String) throws -> TextTokenizer {
        let file = TestFiles.golden(corpus["tokenizers"]![name]!["file"]!.stringValue!)
        let json = try JSONParser.parse(String(contentsOfFile: file, encoding: .utf8))
        return try TextTokenizer.load(sentencePieceModel: nil, tokenizerJSON: json, file: file)
    }

    @Test(arguments: ["llama2-legacy", "llama2-metaspace"])
    func idsAndTextEqualTokenizers(_ name: String) throws {
        let t = try Self.tokenizer(name)
        guard case .metaspace = t else { Issue.record("expected the Metaspace BPE tokenizer"); return }
        let texts = Self.corpus["texts"]!.arrayValue!.map { $0.stringValue! }
        let expected = Self.corpus["tokenizers"]![name]!
        let ids = expected["ids_with_special"]!.arrayValue!.map { $0.arrayValue!.map { $0.intValue! } }
        let decoded = expected["decoded"]!.arrayValue!.map { $0.stringValue! }
        let decodedSkip = expected["decoded_skip_special"]!.arrayValue!.map { $0.stringValue! }
        #expect(texts.count >= 30)
        for (i, text) in texts.enumerated() {
            let ours = t.encode(text, addSpecialTokens: true)
            #expect(ours == ids[i], "\(name) text \(i): \(text.debugDescription)")
            #expect(t.decode(Array(t.encode(text, addSpecialTokens: false))) == decoded[i], "\(name) decode \(i)")
            #expect(t.decode(ours, skipSpecial: true) == decodedSkip[i], "\(name) decode (skip special) \(i)")
        }
    }
}
