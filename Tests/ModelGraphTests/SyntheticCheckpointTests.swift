import TestSupport
import Foundation
import Testing
import TensorIO
@testable import ModelGraph

@Suite struct SyntheticCheckpointTests {
    @Test func tinyPresetLoadsCompletelyAndIsDeterministic() throws {
        let preset = SyntheticCheckpoint.presets.first { $0.name == "tiny" }!
        let a = TestFiles.tempDir("syn") + "/a", b = TestFiles.tempDir("syn") + "/b"
        _ = try SyntheticCheckpoint.write(preset, to: a, shardBytes: 200_000)
        _ = try SyntheticCheckpoint.write(preset, to: b, shardBytes: 200_000)
        let g = try ModelLoader.load(a)
        #expect(try CheckpointFiles.open(a + "/llm") is ShardedCheckpoint)
        #expect(g.config.llm.hiddenSize == 128 && g.config.llm.gqaRatio == 2)
        #expect(g.ignored.isEmpty)
        let files = try FileManager.default.subpathsOfDirectory(atPath: a).sorted()
        #expect(files == (try FileManager.default.subpathsOfDirectory(atPath: b).sorted()))
        for f in files where f.hasSuffix(".safetensors") {
            #expect(FileManager.default.contentsEqual(atPath: a + "/" + f, andPath: b + "/" + f), "\(f)")
        }
        // Norm scales are 1, weights are bounded by 1/√fan_in.
        #expect(try g.llm.norm.float32().data.allSatisfy { $0 == 1 })
        let q = try g.llm.layers[0].q.weight.float32().data
        #expect(q.allSatisfy { abs($0) <= 1 / Float(128).squareRoot() + 1e-3 } && Set(q).count > 100)
    }
}

/// The real-size presets carry the published models' shapes: their LLM parameter counts equal the
/// counts Hugging Face reports for Llama-2-7b-hf, Meta-Llama-3-8B and Llama-2-13b-hf (untied lm_head).
@Suite struct RealSizePresetTests {
    @Test(arguments: [("vila-7b", 6_738_415_616), ("llama3-vila1.5-8b", 8_030_261_248), ("vila1.5-13b", 13_015_864_320)])
    func llmParameterCountsMatchThePublishedModels(_ c: (String, Int)) throws {
        let preset = try #require(SyntheticCheckpoint.presets.first { $0.name == c.0 })
        let config = try SyntheticCheckpoint.config(preset)
        let llm = ModelDescription(config).checkpointSpecs(config, layout: .vila).filter { $0.folder == "llm" }.reduce(0) { $0 + $1.shape.elementCount }
        #expect(llm == c.1, "\(c.0): \(llm)")
    }

    /// NVILA-8B: Qwen2.5-7B's published count (7,615,616,512 with its 152,064-row vocabulary) less the
    /// 416 rows × 3584 of embedding and head NVILA's 151,648 vocabulary drops; dynamic S2 as its config.
    @Test func nvila8BPresetHasQwen2AndDynamicS2() throws {
        let preset = try #require(SyntheticCheckpoint.presets.first { $0.name == "nvila-8b" })
        let config = try SyntheticCheckpoint.config(preset)
        let llm = ModelDescription(config).checkpointSpecs(config, layout: .vila).filter { $0.folder == "llm" }.reduce(0) { $0 + $1.shape.elementCount }
        #expect(llm == 7_615_616_512 - 2 * 416 * 3584)
        #expect(config.llm.architecture == .qwen2 && config.llm.qkvBias)
        #expect(config.dynamicS2?.scales == [448, 896, 1344] && config.dynamicS2?.resizeOutputTo == 2)
        #expect(config.projector.mergeOrder == .nvila && config.projector.inputSize == 4 * 3456)
        #expect(config.imageTokens(TileGrid(rows: 3, cols: 4)) == 3072)
    }

    /// VILA1.5-40B: InternViT-6B-448px-V1-5 (45 layers: 122,918,400 parameters each, plus a
    /// 1,884,800 patch embedding, a 3200 class token and 1025 × 3200 positions — 5.54 B) and the
    /// Yi-34B LLM (34,388,917,248 from its shapes); patch features 32×32 → 256 tokens.
    @Test func vila15_40BPresetHasInternViTAndYi34B() throws {
        let preset = try #require(SyntheticCheckpoint.presets.first { $0.name == "vila1.5-40b" })
        let config = try SyntheticCheckpoint.config(preset)
        let specs = ModelDescription(config).checkpointSpecs(config, layout: .vila)
        func count(_ folder: String) -> Int { specs.filter { $0.folder == folder }.reduce(0) { $0 + $1.shape.elementCount } }
        #expect(count("vision_tower") == 45 * 122_918_400 + 1_884_800 + 3200 + 1025 * 3200)
        #expect(count("llm") == 34_388_917_248)
        #expect(config.vision.kind == .intern && config.vision.numPositions == 1025)
        #expect(try config.imageTokens.get() == 256)
    }

    @Test func llama3PresetHasItsRopeAndContext() throws {
        let preset = try #require(SyntheticCheckpoint.presets.first { $0.name == "llama3-vila1.5-8b" })
        let c = try SyntheticCheckpoint.config(preset).llm
        #expect(c.ropeTheta == 500000 && c.maxPositionEmbeddings == 8192 && c.numKVHeads == 8 && c.vocabSize == 128256)
    }
}
