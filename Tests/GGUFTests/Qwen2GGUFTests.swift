import Testing
import TensorIO
import TestSupport
import ModelGraph
import ReferenceRuntime
@testable import GGUF
import Pipeline

/// GGUF for llama.cpp's `qwen2` architecture: its keys, the q/k/v biases (no o bias), rotary rows
/// as Hugging Face stores them (llama.cpp's qwen2 rotates halves: no reordering), Qwen2's
/// pre-tokenizer name and no BOS. scripts/check_gguf.py runs the file in llama.cpp against PyTorch
/// (f32: max rel logit error 4.7e-7, identical greedy tokens and tokenization).
@Suite struct Qwen2GGUFTests {
    @Test func qwen2ExportHoldsTheWeightsAndBiasesAsStored() throws {
        let (f, graph) = try GGUFExportTests.export("vila-siglip-qwen2-f16", .f32)
        #expect(f.metadata["general.architecture"]?.stringValue == "qwen2")
        #expect(f.metadata["qwen2.rope.freq_base"] == .float32(1_000_000))
        #expect(f.metadata["qwen2.attention.head_count_kv"]?.uint32Value == 2)
        #expect(f.metadata["llama.block_count"] == nil)
        #expect(f.metadata["tokenizer.ggml.pre"]?.stringValue == "qwen2")
        #expect(f.metadata["tokenizer.ggml.add_bos_token"] == .bool(false))
        let names = Set(f.tensors.map(\.name))
        #expect(names.isSuperset(of: ["blk.1.attn_q.bias", "blk.1.attn_k.bias", "blk.1.attn_v.bias", "output.weight"]))
        #expect(!names.contains("blk.0.attn_output.bias"))
        #expect(names.count == 27)
        let layer = graph.llm.layers[1]
        #expect(try f.floats("blk.1.attn_q.weight") == (try layer.q.weight.float32().data))
        #expect(try f.floats("blk.1.attn_k.bias") == (try #require(layer.k.bias).float32().data))
    }

    /// The checkpoint's chat template travels as tokenizer.chat_template (llama.cpp's chat front-ends read it);
    /// a checkpoint without one writes none.
    @Test func theChatTemplateIsWrittenWhenTheCheckpointHasOne() throws {
        let (nvila, _) = try GGUFExportTests.export("nvila-siglip-3x3-qwen2-f16", .f32)
        let template = try #require(nvila.metadata["tokenizer.chat_template"]?.stringValue)
        #expect(template.hasPrefix("{% if messages[0]['role'] != 'system' %}"))
        let (plain, _) = try GGUFExportTests.export("vila-siglip-qwen2-f16", .f32)
        #expect(plain.metadata["tokenizer.chat_template"] == nil)
    }

    /// Llama's attention_bias / mlp_bias as llama.cpp's optional `llama` biases: q and k biases
    /// reordered like their rows (interleaved rotary), the others as stored. check_gguf.py: f32 max
    /// rel logit error 2.9e-7 in llama.cpp against PyTorch, identical greedy tokens.
    @Test func llamaBiasesAreExportedWithQAndKReordered() throws {
        let (f, graph) = try GGUFExportTests.export("vila-llama-biases-f16", .f32)
        #expect(f.metadata["general.architecture"]?.stringValue == "llama")
        let names = Set(f.tensors.map(\.name))
        for t in ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"] {
            #expect(names.contains("blk.1.\(t).bias"), "\(t)")
        }
        let layer = graph.llm.layers[1]
        let c = graph.config.llm
        let qBias = try #require(layer.q.bias).float32().data
        #expect(try f.floats("blk.1.attn_q.bias") == LlamaGGUFExport.permuteForRope(qBias, heads: c.numHeads, headDim: c.headDim))
        #expect(try f.floats("blk.1.attn_q.bias") != qBias)
        #expect(try f.floats("blk.1.attn_v.bias") == (try #require(layer.v.bias).float32().data))
        #expect(try f.floats("blk.1.ffn_down.bias") == (try #require(layer.down.bias).float32().data))
    }

    @Test func qwen2WithBiasesItsGraphLacksIsRefused() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-siglip-qwen2-f16"))
        var config = graph.config
        config.llm.outputBias = true
        #expect(throws: LlamaGGUFExport.ExportError.self) {
            _ = try LlamaGGUFExport.export(source: RebadgedWeights(base: GraphWeights(graph), config: config),
                                           files: FolderConfigSource(graph.path), to: TestFiles.tempDir("gguf") + "/x.gguf", type: .f32, name: "x")
        }
    }
}

/// Another source's weights under a changed config (to reach a refusal no golden model has).
struct RebadgedWeights: WeightSource {
    let base: any WeightSource
    let config: VLMConfig
    var model: ModelDescription { base.model }
    func floats(_ slot: String) throws -> [Float]? { try base.floats(slot) }
    func linear(_ prefix: String) throws -> any LinearOperator { try base.linear(prefix) }
}

/// GGUF names the pre-tokenizer llama.cpp will run; a file whose pre-tokenizer or normalizer
/// does more than that name says is refused rather than exported with other tokenization.
@Suite struct GGUFTokenizerRefusalTests {
    static func vocab(_ edit: (inout [(key: String, value: JSONValue)]) -> Void) throws -> HFTokenizerVocab {
        let path = TestFiles.golden("models/vila-clip-linear-f16/llm/tokenizer.json")
        guard case .object(var members) = try JSONFile.read(path) else { throw HFTokenizerVocab.VocabError.unsupported(path, "not an object") }
        edit(&members)
        return try HFTokenizerVocab(ConfigObject(json: .object(members), file: path), vocabSize: 512)
    }

    static func replace(_ members: inout [(key: String, value: JSONValue)], _ key: String, _ value: JSONValue) {
        members = members.map { $0.key == key ? (key, value) : $0 }
    }

    @Test func extraPreTokenizerStepsOrNormalizersAreRefused() throws {
        #expect(try Self.vocab { _ in }.preTokenizer == "llama-bpe")
        let digits = JSONValue.object([("type", .string("Digits")), ("individual_digits", .bool(true))])
        #expect(throws: HFTokenizerVocab.VocabError.self) {
            _ = try Self.vocab { m in
                guard case .object(var pre)? = m.first(where: { $0.key == "pre_tokenizer" })?.value,
                      case .array(let steps)? = pre.first(where: { $0.key == "pretokenizers" })?.value else { return }
                pre = pre.map { $0.key == "pretokenizers" ? ($0.key, .array([digits] + steps)) : $0 }
                Self.replace(&m, "pre_tokenizer", .object(pre))
            }
        }
        #expect(throws: HFTokenizerVocab.VocabError.self) {
            _ = try Self.vocab { Self.replace(&$0, "normalizer", .object([("type", .string("Lowercase"))])) }
        }
        #expect(try Self.vocab { Self.replace(&$0, "normalizer", .object([("type", .string("NFC"))])) }.preTokenizer == "llama-bpe")
    }
}
