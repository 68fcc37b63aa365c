import TestSupport
import Testing
import TensorCore
import TensorIO
@testable import ModelGraph

/// Every committed fixture maps completely into the typed graph with the architecture its
/// generator (golden/generate.py) gave it.
@Suite struct FixtureLoadingTests {
    func load(_ name: String) throws -> VLMGraph { try ModelLoader.load(TestFiles.golden("models/" + name)) }

    /// Tensors in the graph plus ignored ones are exactly the tensors of the checkpoint files.
    func expectFullCoverage(_ g: VLMGraph, stores: [any TensorStore]) {
        let all = Set(stores.flatMap { s in s.tensorNames.map { s.location + "|" + $0 } })
        let used = g.tensors.map { $0.store.location + "|" + $0.source }
        #expect(Set(used).count == used.count, "a tensor is used twice")
        let ignoredNames = Set(g.ignored.map(\.name))
        let accounted = Set(used).union(all.filter { ignoredNames.contains(String($0.split(separator: "|").last!)) })
        #expect(accounted == all)
    }

    @Test func vilaClipLinearF16WithTransformers4Config() throws {
        let g = try load("vila-clip-linear-f16")
        #expect(g.config.layout == .vila)
        #expect(g.config.vision.kind == .clip)
        #expect(g.config.projector.type == .linear)
        #expect(try g.config.imageTokens.get() == 16)
        #expect(g.config.llm.ropeScaling == nil && g.config.llm.ropeTheta == 10000)
        #expect(g.config.llm.storedDType == "float16")
        #expect(g.llm.lmHead != nil)
        #expect(g.tensors.allSatisfy { $0.dtype == .f16 })
        #expect(g.vision.layers.count == 3 && g.llm.layers.count == 2)
        expectFullCoverage(g, stores: [try CheckpointFiles.open(g.path + "/llm"), try CheckpointFiles.open(g.path + "/vision_tower"),
                                       try CheckpointFiles.open(g.path + "/mm_projector")])
    }

    @Test func vilaShardedBF16WithGQAAndLlama3Rope() throws {
        let g = try load("vila-clip-mlp2x-bf16-sharded")
        #expect(try CheckpointFiles.open(g.path + "/llm") is ShardedCheckpoint)
        #expect(g.config.llm.numKVHeads == 2 && g.config.llm.gqaRatio == 2)
        #expect(g.config.llm.ropeScaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64))
        #expect(g.config.llm.ropeTheta == 50000)
        #expect(g.llm.layers[0].k.weight.shape == [32, 64])
        #expect(g.tensors.allSatisfy { $0.dtype == .bf16 })
        #expect(g.config.warnings.isEmpty)
    }

    @Test func vilaSiglipDownsampleOddGridTiedFromTopLevelConfigOnly() throws {
        let g = try load("vila-siglip-downsample-f32")
        #expect(g.config.vision.kind == .siglip && g.config.vision.gridSize == 5)
        #expect(g.config.selectFeature == .clsPatch && g.config.featureTokens == 25)
        #expect(try g.config.imageTokens.get() == 9)
        #expect(g.config.llm.tieWordEmbeddings && g.llm.lmHead == nil)
        #expect(g.llm.outputWeight.slot == "llm.embed_tokens.weight")
        #expect(g.vision.classEmbed == nil && g.vision.preNorm == nil && g.vision.patchEmbed.bias != nil)
        // SigLIP's pooling head and post-norm are known and ignored, with reasons.
        #expect(g.ignored.contains { $0.name == "vision_model.head.probe" })
        #expect(g.ignored.contains { $0.name == "vision_model.post_layernorm.weight" })
    }

    @Test func llavaHFAsTransformers5SavesIt() throws {
        let g = try load("llava-hf-f16")
        #expect(g.config.layout == .llavaHF)
        #expect(g.config.projector.type == .mlp2xGelu)
        #expect(g.config.imageTokenIndex == 511)
        #expect(g.llm.embedTokens.weight.source == "language_model.model.embed_tokens.weight")
        #expect(g.vision.positionEmbed.source == "vision_tower.embeddings.position_embedding.weight")
        #expect(g.llm.lmHead?.weight.source == "language_model.lm_head.weight")
        expectFullCoverage(g, stores: [try CheckpointFiles.open(g.path)])
    }

    @Test func llavaHFNestedNamesShardedWithTransformers4Config() throws {
        let g = try load("llava-hf-nested-bf16-sharded")
        #expect(g.llm.embedTokens.weight.source == "model.language_model.embed_tokens.weight")
        #expect(g.vision.positionEmbed.source == "model.vision_tower.vision_model.embeddings.position_embedding.weight")
        #expect(g.llm.lmHead?.weight.source == "lm_head.weight")
        #expect(g.config.llm.ropeScaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64))
        #expect(g.config.llm.storedDType == "bfloat16")
        expectFullCoverage(g, stores: [try CheckpointFiles.open(g.path)])
    }

    @Test func summaryCountsParametersAndBytesPerComponent() throws {
        let s = ModelSummary(try load("vila-clip-linear-f16"))
        #expect(s.projector.imageTokens == 16)
        #expect(s.components.map(\.name) == ["vision", "projector", "llm"])
        // projector: Linear(32 → 64) with bias
        #expect(s.components[1].parameters == 32 * 64 + 64 && s.components[1].bytes == 2 * (32 * 64 + 64))
        // llm: embed + head 2·512·64, 2 layers of 4·64² + 3·64·128 + 2·64, final norm 64
        #expect(s.components[2].parameters == 2 * 512 * 64 + 2 * (4 * 64 * 64 + 3 * 64 * 128 + 2 * 64) + 64)
        #expect(s.total.parameters == s.components.map(\.parameters).reduce(0, +))
        #expect(s.total.byDtype["f16"]?.bytes == s.total.bytes)
    }
}
