import Testing
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
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-siglip-qwen2-f16"))
        let out = TestFiles.tempDir("gguf") + "/q.gguf"
        _ = try LlamaGGUFExport.export(source: GraphWeights(graph), files: FolderConfigSource(graph.path), to: out, type: .f32, name: "q")
        let f = try GGUFFile(path: out)
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

    @Test func llamaWithAttentionBiasesStaysRefused() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-siglip-qwen2-f16"))
        var config = graph.config
        config.llm.architecture = .llama
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
