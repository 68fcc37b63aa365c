import Foundation
import Testing
import TestSupport
import ModelGraph
import ReferenceRuntime
import Verification
@testable import Quantization

/// AWQ on a language model with Linear biases (Qwen2's q/k/v): the search evaluates each layer
/// with its biases, and the scales it folds leave the float function unchanged.
@Suite(.serialized) struct AWQBiasTests {
    static let model = "vila-siglip-qwen2-f16"
    static let golden = "cases/vila-siglip-qwen2-f16.text-only.golden.safetensors"

    static func search(clip: Bool) throws -> (VLMGraph, AWQ.Result) {
        let graph = try ModelLoader.load(TestFiles.golden("models/" + Self.model))
        var settings = AWQ.Settings()
        settings.clip = clip
        settings.searchTokens = 512
        let calibration = try CalibrationData.load(TestFiles.golden("calibration/random-ids-4096.txt"), tokens: 1024,
                                                   sequenceLength: 256, vocab: 512)
        let r = try AWQ.search(graph: graph, recipe: QuantRecipe(defaultScheme: .int4(groupSize: 32, symmetric: false)),
                               calibration: calibration, threads: 2, settings: settings)
        return (graph, r)
    }

    @Test func foldingScalesIntoABiasedModelPreservesTheFloatFunction() throws {
        let (graph, r) = try Self.search(clip: false)
        #expect(r.summary.choices.contains { $0.alpha > 0 })
        let folded = try VLMRunner(weights: OverrideWeights(base: GraphWeights(graph), overrides: r.overrides))
        let report = try Verifier.verify(model: "folded", runner: folded, golden: try GoldenFile(path: TestFiles.golden(Self.golden)),
                                         tolerances: Tolerances())
        let logits = try #require(report.stages.first { $0.stage == "logits" }?.metrics)
        #expect(logits.maxRelError < 1e-4, "\(logits)")
        #expect(logits.top1Agreement == 1)
    }

    /// Each group's choice is scored with the biases in the layer: never worse than RTN (α = 0).
    @Test func chosenScaleIsNeverWorseThanRTNWithBiases() throws {
        let (_, r) = try Self.search(clip: true)
        #expect(!r.summary.choices.isEmpty)
        for c in r.summary.choices { #expect(c.bestLoss <= c.rtnLoss, "\(c)") }
        #expect(Set(r.summary.choices.map(\.group)) == ["qkv", "gate_up", "down"], "GQA: no o group")
    }
}
