import Foundation
import Testing
import TensorIO
import ModelGraph
import TestSupport
import Tokenizer
@testable import GGUF

/// A Llama-2-style tokenizer.json without tokenizer.model, as GGUF's `llama` tokenizer. The real
/// Llama 2 vocabulary ships both files: scores made from the merge order must order the merged
/// pieces as SentencePiece's own scores do, and the types must be SentencePiece's.
/// scripts/check_gguf.py runs the exported file in llama.cpp: tokenization identical to
/// `tokenizers` on its texts.
@Suite struct MetaspaceGGUFTests {
    static func json(_ path: String) throws -> ConfigObject { try ConfigObject.read(TestFiles.golden(path)) }

    @Test func realLlama2ScoresOrderPiecesAsSentencePieceDoes() throws {
        let v = try MetaspaceGGUFVocab(Self.json("tokenizer/real/llama2/tokenizer.json"), vocabSize: 32000)
        let sp = try SentencePieceModel(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: TestFiles.golden("tokenizer/real/llama2/tokenizer.model")))),
                                        file: "tokenizer.model")
        #expect(v.tokens == sp.pieces.map(\.text))
        #expect(v.types == sp.pieces.map(\.type))
        #expect(v.addSpacePrefix && v.unkID == 0)
        // Merged pieces (score < 0 here) in our score order have non-increasing SentencePiece scores.
        let merged = v.tokens.indices.filter { v.scores[$0] < 0 }
        #expect(merged.count == 29612)  // the rest: single characters, 256 bytes, 3 specials
        let ordered = merged.sorted { v.scores[$0] > v.scores[$1] }
        var inversions = 0
        for (a, b) in zip(ordered, ordered.dropFirst()) where sp.pieces[a].score < sp.pieces[b].score { inversions += 1 }
        #expect(inversions == 0)
    }

    @Test func onlySpellingsLlamaCppComputesAreExported() throws {
        let legacy = try MetaspaceGGUFVocab(Self.json("tokenizer/llama2-legacy/tokenizer.json"), vocabSize: 512)
        #expect(legacy.addSpacePrefix && legacy.tokens.count == 512 && legacy.types[511] == 5)
        let md = try TokenizerMetadata.metaspaceBPE(legacy, config: nil, fallbackBOS: 1, fallbackEOS: 2)
        #expect(md.entries.first { $0.0 == "tokenizer.ggml.model" }?.1 == .string("llama"))
        #expect(md.entries.first { $0.0 == "tokenizer.ggml.unknown_token_id" }?.1 == .uint32(0))
        let error = #expect(throws: HFTokenizerVocab.VocabError.self) {
            _ = try MetaspaceGGUFVocab(Self.json("tokenizer/llama2-metaspace/tokenizer.json"), vocabSize: 512)
        }
        #expect(error.map { "\($0)" }?.contains("prepend_scheme \"first\"") == true)
    }
}
