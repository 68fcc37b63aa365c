import Foundation
import Testing
import TestSupport
import TensorCore
import TensorIO
import ModelGraph
import ReferenceRuntime
import Verification

/// A perturbed weight must make verification fail, naming the stage where it first shows.
@Suite struct DivergenceTests {
    /// Copies a fixture and adds `delta` to element `index` of one stored f16 tensor.
    func perturbed(_ model: String, file: String, tensor: String, index: Int, delta: Float) throws -> String {
        let dst = FixtureEditing.copy(model)
        FixtureEditing.perturbF16(dst + "/" + file, tensor: tensor, index: index, delta: delta)
        return dst
    }

    func verify(_ dir: String) throws -> VerificationReport {
        let graph = try ModelLoader.load(dir)
        let golden = try GoldenFile(path: TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors"))
        return try Verifier.verify(graph: graph, runner: try VLMRunner(graph), golden: golden, tolerances: Tolerances())
    }

    @Test func perturbedProjectorWeightFailsAtTheProjector() throws {
        let dir = try perturbed("vila-clip-linear-f16", file: "mm_projector/model.safetensors", tensor: "layers.weight", index: 5, delta: 0.5)
        let r = try verify(dir)
        #expect(r.firstFailure == "projector")
        #expect(r.stages[0].passed && r.stages[0].stage == "vision")
    }

    @Test func perturbedAttentionWeightFailsAtTheLogits() throws {
        let dir = try perturbed("vila-clip-linear-f16", file: "llm/model.safetensors",
                                tensor: "model.layers.1.self_attn.v_proj.weight", index: 100, delta: 0.5)
        let r = try verify(dir)
        #expect(r.firstFailure == "logits")
        #expect(r.stages.prefix(2).allSatisfy { $0.passed })
    }

    @Test func perturbedVisionWeightFailsAtTheVisionStage() throws {
        let dir = try perturbed("vila-clip-linear-f16", file: "vision_tower/model.safetensors",
                                tensor: "encoder.layers.0.self_attn.q_proj.weight", index: 3, delta: 0.5)
        let r = try verify(dir)
        #expect(r.firstFailure == "vision")
    }

    @Test func aLooserToleranceCanPassWhatTheDefaultFails() throws {
        let dir = try perturbed("vila-clip-linear-f16", file: "llm/model.safetensors",
                                tensor: "model.layers.1.self_attn.v_proj.weight", index: 100, delta: 0.002)
        let graph = try ModelLoader.load(dir)
        let golden = try GoldenFile(path: TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors"))
        let strict = try Verifier.verify(graph: graph, runner: try VLMRunner(graph), golden: golden, tolerances: Tolerances())
        #expect(strict.firstFailure == "logits")
        var loose = Tolerances()
        loose.maxRel = 1e-2
        loose.maxKL = 1e-2
        loose.minTop1 = 0.9
        loose.requireGenerated = false
        #expect(try Verifier.verify(graph: graph, runner: try VLMRunner(graph), golden: golden, tolerances: loose).passed)
    }
}
