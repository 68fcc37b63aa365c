import Foundation
import Testing
import TestSupport
import TensorCore
import TensorIO
import ModelGraph
import Tokenizer
import ReferenceRuntime
@testable import GGUF
import Pipeline

@Suite struct GGMLBlockTests {
    /// Our encoders against gguf-py's (which are bit-exact to ggml's reference quantizers).
    @Test(arguments: ["q8_0", "q4_0", "q4_1", "f16"])
    func blocksMatchGGUFPyByteForByte(_ name: String) throws {
        let f = try SafetensorsFile(path: TestFiles.golden("interop/ggml-blocks.safetensors"))
        let x = try f.float32("input").data
        let expected = try f.withBytes(name) { Array($0) }
        let ours = GGMLQuants.encode(x, as: GGMLType(name: name)!)
        #expect(ours.count == expected.count)
        #expect(ours == expected, "first difference at byte \(zip(ours, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
    }

    @Test(arguments: [GGMLType.q8_0, .q4_0, .q4_1])
    func decodeInvertsEncodeWithinHalfAStep(_ t: GGMLType) {
        var g = SplitMix(seed: 77)
        let x = (0..<(32 * 64)).map { _ in 2 * g.nextFloat() }
        let y = GGMLQuants.encode(x, as: t).withUnsafeBytes { GGMLQuants.decode($0, as: t, count: x.count) }
        // Per block of 32: the step d ggml's quantizer chooses. Codes are rounded with d in f32 and
        // decoded with d (and Q4_1's minimum) stored as f16, so each value is within d/2 of its
        // code plus |code| · (f16 rounding of d) — except Q4_0's clamped code: the value opposite
        // the block's extreme maps to 16 and is clamped to 15, one step away.
        for b in 0..<(x.count / 32) {
            let block = x[(b * 32)..<((b + 1) * 32)]
            let (lo, hi) = (block.min()!, block.max()!)
            let extreme = block.max { abs($0) < abs($1) }!
            let step: Float = t == .q8_0 ? max(abs(lo), abs(hi)) / 127 : t == .q4_0 ? abs(extreme) / 8 : (hi - lo) / 15
            for i in block.indices {
                let clamped = t == .q4_0 && x[i] / (extreme / -8) + 8.5 >= 16
                func f16(_ v: Float) -> Float { FloatConversion.f16ToF32(FloatConversion.f32ToF16(v)) }
                let codeMax: Float = t == .q8_0 ? 127 : t == .q4_0 ? 8 : 15
                let storage = codeMax * abs(step - f16(step)) + (t == .q4_1 ? abs(lo - f16(lo)) : 0)
                let bound = (clamped ? step : step / 2) + storage + 1e-6
                #expect(abs(x[i] - y[i]) <= bound, "\(t) block \(b) value \(x[i]) → \(y[i]), step \(step)")
            }
        }
    }
}

@Suite struct GGUFExportTests {
    /// Exports a golden model's language model to GGUF and reads the file back.
    static func export(_ model: String, _ type: GGMLType) throws -> (GGUFFile, VLMGraph) {
        let graph = try ModelLoader.load(TestFiles.golden("models/" + model))
        let out = TestFiles.tempDir("gguf") + "/m.gguf"
        _ = try LlamaGGUFExport.export(source: GraphWeights(graph), files: FolderConfigSource(graph.path), to: out, type: type, name: model)
        return (try GGUFFile(path: out), graph)
    }

    @Test func f32ExportHoldsTheExactWeightsWithQKPermuted() throws {
        let (f, g) = try Self.export("vila-clip-mlp2x-bf16-sharded", .f32)
        let c = g.config.llm
        #expect(f.metadata["general.architecture"]?.stringValue == "llama")
        #expect(f.metadata["llama.attention.head_count_kv"]?.uint32Value == 2)
        #expect(f.metadata["tokenizer.ggml.pre"]?.stringValue == "llama-bpe")
        #expect(f.metadata["tokenizer.ggml.bos_token_id"]?.uint32Value == 1)
        #expect(f.metadata["tokenizer.ggml.eos_token_id"]?.uint32Value == 2)
        if case .arrayString(let tokens)? = f.metadata["tokenizer.ggml.tokens"] {
            #expect(tokens.count == 512 && tokens[1] == "<|begin_of_text|>" && tokens[511] == "[PAD511]")
        } else { Issue.record("no tokens") }
        let q = try g.llm.layers[1].q.weight.float32().data
        #expect(try f.floats("blk.1.attn_q.weight") == LlamaGGUFExport.permuteForRope(q, heads: c.numHeads, headDim: c.headDim))
        let k = try g.llm.layers[0].k.weight.float32().data
        #expect(try f.floats("blk.0.attn_k.weight") == LlamaGGUFExport.permuteForRope(k, heads: c.numKVHeads, headDim: c.headDim))
        #expect(try f.floats("blk.0.ffn_down.weight") == (try g.llm.layers[0].down.weight.float32().data))
        #expect(f.tensors.first { $0.name == "token_embd.weight" }?.dims == [64, 512])
        // llama3 scaling travels as rope_freqs factors: 1 for short wavelengths, `factor` for long ones.
        let factors = try f.floats("rope_freqs.weight")
        #expect(factors.count == 8 && factors.first == 1 && factors.last == 8)
    }

    @Test func tiedEmbeddingsHaveNoOutputTensor() throws {
        let (f, _) = try Self.export("vila-siglip-downsample-f32", .q8_0)
        #expect(!f.tensors.contains { $0.name == "output.weight" })
        #expect(f.tensors.first { $0.name == "blk.0.ffn_up.weight" }?.type == .q8_0)
        #expect(f.tensors.first { $0.name == "blk.0.attn_norm.weight" }?.type == .f32)
        #expect(f.metadata["general.file_type"]?.uint32Value == 7)
    }

    /// The permutation turns Hugging Face's rotate-half rotary embedding into llama.cpp's
    /// adjacent-pair one: rope_pairs(permute(W)·x) = permute(rope_half(W·x)).
    @Test func permutationMapsRotateHalfToAdjacentPairs() {
        let heads = 2, hd = 8, cols = 5
        var g = SystemRandomNumberGenerator()
        let w = (0..<(heads * hd * cols)).map { _ in Float.random(in: -1...1, using: &g) }
        let x = (0..<cols).map { _ in Float.random(in: -1...1, using: &g) }
        let rope = RotaryEmbedding(headDim: hd, theta: 10000, scaling: nil)
        func matvec(_ m: [Float]) -> [Float] { (0..<(heads * hd)).map { r in (0..<cols).reduce(0) { $0 + m[r * cols + $1] * x[$1] } } }
        var hf = matvec(w)
        rope.apply(&hf, tokens: 1, heads: heads, startPosition: 7)
        var cpp = matvec(LlamaGGUFExport.permuteForRope(w, heads: heads, headDim: hd))
        for h in 0..<heads {
            for i in 0..<(hd / 2) {
                let angle = Float(7) * rope.invFreq[i]
                let a = cpp[h * hd + 2 * i], b = cpp[h * hd + 2 * i + 1]
                cpp[h * hd + 2 * i] = a * Float(cos(Double(angle))) - b * Float(sin(Double(angle)))
                cpp[h * hd + 2 * i + 1] = a * Float(sin(Double(angle))) + b * Float(cos(Double(angle)))
            }
        }
        let expected = LlamaGGUFExport.permuteForRope(hf, heads: heads, headDim: hd)  // one "column"
        #expect(zip(cpp, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func missingTokenizerIsRefused() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        try FileManager.default.removeItem(atPath: dir + "/llm/tokenizer.json")
        let graph = try ModelLoader.load(dir)
        #expect { try LlamaGGUFExport.export(source: GraphWeights(graph), files: FolderConfigSource(dir), to: dir + "/m.gguf", type: .f16, name: "m") }
            throws: { String(describing: $0).contains("llm/tokenizer.json is missing; GGUF needs the tokenizer") }
    }

    @Test func readerRejectsDamagedFiles() throws {
        let (f, _) = try Self.export("vila-clip-linear-f16", .q4_0)
        let good = try Data(contentsOf: URL(fileURLWithPath: f.path))
        let dir = TestFiles.tempDir("gguf")
        func error(_ d: Data) -> String {
            let p = dir + "/\(UUID().uuidString).gguf"
            try! d.write(to: URL(fileURLWithPath: p))
            do { _ = try GGUFFile(path: p); return "no error" } catch { return String(describing: error) }
        }
        #expect(error(good.prefix(good.count - 100)).contains("truncated"))
        var badMagic = good; badMagic[0] = 0
        #expect(error(badMagic).contains("not a GGUF file"))
        var hugeCount = good; hugeCount[8 + 7] = 0x7F
        #expect(error(hugeCount).contains("more than the file can hold"))
        var future = good; future[4] = 9
        #expect(error(future).contains("GGUF version 9 is not supported"))
    }
}

@Suite struct SentencePieceTests {
    let path = TestFiles.golden("models/vila-siglip-downsample-f32/llm/tokenizer.model")

    @Test func readsPiecesScoresTypesAndSpecialIDs() throws {
        let bytes = try FolderConfigSource("/").bytes(String(path.dropFirst()))
        let sp = try SentencePieceModel(bytes: bytes, file: path)
        #expect(sp.pieces.count == 480)
        #expect(sp.pieces[0] == .init(text: "<unk>", score: 0, type: 2))
        #expect(sp.pieces[1].text == "<s>" && sp.pieces[1].type == 3)
        #expect(sp.pieces[3] == .init(text: "<0x00>", score: 0, type: 6))
        #expect(sp.pieces.filter { $0.type == 6 }.count == 256)
        #expect(sp.bosID == 1 && sp.eosID == 2 && sp.unkID == 0 && sp.addDummyPrefix && sp.modelType == 2)
        // BPE pieces are ranked by decreasing score.
        let normal = sp.pieces.filter { $0.type == 1 }.map(\.score)
        #expect(normal == normal.sorted(by: >))
    }

    @Test func truncatedOrGarbageModelsAreErrorsNotCrashes() throws {
        let bytes = try FolderConfigSource("/").bytes(String(path.dropFirst()))
        for cut in [1, 2, 7, 100, bytes.count / 2, bytes.count - 1] {
            #expect(throws: SentencePieceModel.ParseError.self) { try SentencePieceModel(bytes: Array(bytes.prefix(cut)), file: "t") }
        }
        #expect(throws: SentencePieceModel.ParseError.self) { try SentencePieceModel(bytes: [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], file: "t") }
        #expect(throws: SentencePieceModel.ParseError.self) { try SentencePieceModel(bytes: [], file: "t") }
    }

    @Test func sentencePieceTokenizerExportsAsGGUFLlamaVocab() throws {
        let (f, _) = try GGUFExportTests.export("vila-siglip-downsample-f32", .f16)
        #expect(f.metadata["tokenizer.ggml.model"]?.stringValue == "llama")
        #expect(f.metadata["tokenizer.ggml.add_space_prefix"] == .bool(true))
        #expect(f.metadata["tokenizer.ggml.bos_token_id"]?.uint32Value == 1)
        guard case .arrayFloat32(let scores)? = f.metadata["tokenizer.ggml.scores"],
              case .arrayInt32(let types)? = f.metadata["tokenizer.ggml.token_type"] else { Issue.record("no scores"); return }
        #expect(scores.count == 512 && types.count == 512 && types[3] == 6 && types[500] == 5)
    }
}
