import Foundation
import TensorIO
import TestSupport
import Testing
import Tokenizer

/// Tokenizer files that `tokenizers` / `sentencepiece` refuse are refused here too, with the reason;
/// nothing is skipped (a skipped piece or merge silently changes every id after it).
@Suite struct StrictTokenizerFileTests {
    static let source = TestFiles.golden("models/vila-clip-linear-f16/llm/tokenizer.json")

    static func load(_ edit: (inout [String: Any]) -> Void) throws -> TextTokenizer {
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source))) as! [String: Any]
        edit(&obj)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: obj), as: UTF8.self)
        return try TextTokenizer.load(sentencePieceModel: nil, tokenizerJSON: try JSONParser.parse(text), file: "tokenizer.json")
    }

    static func model(_ obj: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var m = obj["model"] as! [String: Any]
        edit(&m)
        obj["model"] = m
    }

    static func refused(_ text: String, sourceLocation: SourceLocation = #_sourceLocation, _ edit: (inout [String: Any]) -> Void) {
        #expect(sourceLocation: sourceLocation) { try load(edit) } throws: { e in
            let ok = String(describing: e).contains(text)
            if !ok { Issue.record("got: \(e)", sourceLocation: sourceLocation) }
            return ok
        }
    }

    @Test func untouchedFileLoads() throws {
        _ = try Self.load { _ in }
    }

    @Test func vocabularyMustBeAnObjectOfIntegerIDs() {
        Self.refused("model.vocab is an array (the [piece, score] list of a Unigram model?)") { o in
            Self.model(&o) { m in m["vocab"] = (m["vocab"] as! [String: Any]).map { [$0.key, $0.value] } }
        }
        Self.refused("has id 2147483648, outside 0..<2^31") { o in
            Self.model(&o) { m in var v = m["vocab"] as! [String: Any]; v["zzq"] = 1 << 31; m["vocab"] = v }
        }
        Self.refused("has id -3, outside 0..<2^31") { o in
            Self.model(&o) { m in var v = m["vocab"] as! [String: Any]; v["zzq"] = -3; m["vocab"] = v }
        }
        Self.refused("model type \"Unigram\" is not supported") { o in Self.model(&o) { $0["type"] = "Unigram" } }
    }

    @Test func mergesMustBeWellFormedAndInTheVocabulary() {
        func appendMerge(_ merge: Any) -> (inout [String: Any]) -> Void {
            { o in Self.model(&o) { m in m["merges"] = (m["merges"] as! [Any]) + [merge] } }
        }
        Self.refused("names \"qqqz\", which is not in the vocabulary", appendMerge("qqqz a"))
        Self.refused("makes \"!!\", which is not in the vocabulary", appendMerge("! !"))
        Self.refused("is not two tokens separated by one space", appendMerge("a b c"))
        Self.refused("neither \"a b\" nor [\"a\", \"b\"]", appendMerge(42))
    }

    @Test func addedTokenIDsMustBeSane() {
        Self.refused("added token \"<huge>\" has id 1000000000000") { o in
            o["added_tokens"] = (o["added_tokens"] as! [Any]) + [["id": 1_000_000_000_000, "content": "<huge>", "special": true]]
        }
        Self.refused("added token \"<neg>\" has id -1") { o in
            o["added_tokens"] = (o["added_tokens"] as! [Any]) + [["id": -1, "content": "<neg>", "special": true]]
        }
    }

    @Test func unknownPostProcessorIsRefusedByName() {
        Self.refused("post_processor type \"BertProcessing\" is not supported") { o in
            o["post_processor"] = ["type": "BertProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1]]
        }
    }

    /// Two keys equal under Swift's canonical equivalence but not as bytes are two tokens.
    /// (Edited as text: a Swift dictionary would conflate the keys before they reach the file.)
    @Test func canonicallyEquivalentTokensKeepTheirOwnIDs() throws {
        let text = try String(contentsOfFile: Self.source, encoding: .utf8)
        let at = try #require(text.firstRange(of: #/"vocab": *\{/#))
        let edited = text.replacingCharacters(in: at, with: #""vocab":{"\u03af":478,"\u1f77":479,"\u212a":477,"#)
        let t = try TextTokenizer.load(sentencePieceModel: nil, tokenizerJSON: try JSONParser.parse(edited), file: "tokenizer.json")
        #expect(t.tokenID("\u{3AF}") == 478 && t.tokenID("\u{1F77}") == 479)
        #expect(t.tokenID("\u{212A}") == 477 && t.tokenID("K") != 477)
    }

    // MARK: SentencePiece

    static let llama2Model = TestFiles.golden("tokenizer/real/llama2/tokenizer.model")

    static func spm(_ bytes: [UInt8]) throws -> TextTokenizer {
        try TextTokenizer.load(sentencePieceModel: bytes, tokenizerJSON: nil, file: "tokenizer.model")
    }

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat { out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0)); v >>= 7 } while v > 0
        return out
    }

    static func piece(_ text: String, type: UInt64) -> [UInt8] {
        let body = [0x0A] + varint(UInt64(text.utf8.count)) + Array(text.utf8) + [0x15, 0, 0, 0, 0] + [0x18] + varint(type)
        return [0x0A] + varint(UInt64(body.count)) + body
    }

    static func trainer(modelType: UInt64) -> [UInt8] {
        let body: [UInt8] = [0x18] + varint(modelType)
        return [0x12] + varint(UInt64(body.count)) + body
    }

    @Test func sentencePieceModelsAreReadStrictly() throws {
        let good = Self.piece("<unk>", type: 2) + Self.piece("<s>", type: 3) + Self.piece("</s>", type: 3) + Self.piece("a", type: 1)
        _ = try Self.spm(good + Self.trainer(modelType: 2))
        // The first piece with wire type 5 instead of 2 was skipped: every id shifted by one.
        var real = Array(try Data(contentsOf: URL(fileURLWithPath: Self.llama2Model)))
        #expect(real[0] == 0x0A)
        real[0] = 0x0D
        #expect { try Self.spm(real) } throws: { "\($0)".contains("pieces (field 1) has wire type 5, expected 2") }
        #expect { try Self.spm(good + Self.piece("b", type: 9) + Self.trainer(modelType: 2)) } throws: {
            "\($0)".contains("piece 4 has type 9, outside SentencePiece's types 1…6")
        }
        #expect { try Self.spm(good + Self.trainer(modelType: 1)) } throws: {
            "\($0)".contains("model_type is unigram; vlmkit encodes SentencePiece BPE models only")
        }
    }
}
