import Foundation
import Testing
import TestSupport
import ModelGraph
import ReferenceRuntime
import Verification
@testable import Quantization

@Suite(.serialized) struct AWQTests {
    static let model = "vila-llama-outliers-f16"
    static let golden = "cases/vila-llama-outliers-f16.text.golden.safetensors"

    static func calibration(_ tokens: Int) throws -> CalibrationData {
        try CalibrationData.load(TestFiles.golden("calibration/random-ids-4096.txt"), tokens: tokens, sequenceLength: 256, vocab: 512)
    }

    /// Folding the chosen scales into norms and weights (without clipping or rounding) leaves
    /// the float model's logits unchanged.
    @Test func foldingScalesPreservesTheFloatFunction() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/" + Self.model))
        var settings = AWQ.Settings()
        settings.clip = false
        settings.searchTokens = 512
        let r = try AWQ.search(graph: graph, recipe: QuantRecipe(defaultScheme: .int4(groupSize: 128, symmetric: false)),
                               calibration: try Self.calibration(1024), threads: 2, settings: settings)
        #expect(r.summary.choices.contains { $0.alpha > 0 }, "the outliers should make AWQ pick non-trivial scales")
        let golden = try GoldenFile(path: TestFiles.golden(Self.golden))
        let folded = try VLMRunner(weights: OverrideWeights(base: GraphWeights(graph), overrides: r.overrides))
        let report = try Verifier.verify(model: "folded", runner: folded, golden: golden, tolerances: Tolerances())
        let logits = try #require(report.stages.first { $0.stage == "logits" }?.metrics)
        #expect(logits.maxRelError < 1e-4, "\(logits)")
        #expect(logits.top1Agreement == 1)
    }

    /// AWQ's choice is never worse than RTN (α = 0) on its own block-output score.
    @Test func chosenScaleIsNeverWorseThanRTN() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/" + Self.model))
        var settings = AWQ.Settings()
        settings.searchTokens = 512
        let r = try AWQ.search(graph: graph, recipe: QuantRecipe(defaultScheme: .int4(groupSize: 128, symmetric: false)),
                               calibration: try Self.calibration(1024), threads: 2, settings: settings)
        #expect(!r.summary.choices.isEmpty)
        for c in r.summary.choices { #expect(c.bestLoss <= c.rtnLoss, "\(c)") }
        #expect(r.summary.choices.contains { $0.bestLoss < 0.9 * $0.rtnLoss })
        // GQA (8 heads, 4 KV heads): o_proj cannot take a scale from v_proj.
        #expect(!r.summary.choices.contains { $0.group == "o" })
    }

    /// End to end against the PyTorch float logits: AWQ int4 g128 has clearly lower KL divergence
    /// than RTN int4 g128 on a model with activation outliers.
    @Test func awqBeatsRTNOnAModelWithOutliers() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/" + Self.model))
        let golden = try GoldenFile(path: TestFiles.golden(Self.golden))
        let recipe = QuantRecipe(defaultScheme: .int4(groupSize: 128, symmetric: false))
        func kl(_ options: ModelQuantizer.Options) throws -> Double {
            let out = TestFiles.tempDir("awq") + "/q"
            _ = try ModelQuantizer.quantize(graph, to: out, options: options)
            let runner = try VLMRunner(weights: try QuantizedModel(path: out))
            let report = try Verifier.verify(model: out, runner: runner, golden: golden, tolerances: Tolerances())
            return try #require(report.stages.first { $0.stage == "logits" }?.metrics?.meanKL)
        }
        let rtn = try kl(ModelQuantizer.Options(recipe: recipe))
        var awqOptions = ModelQuantizer.Options(recipe: recipe)
        let search = try AWQ.search(graph: graph, recipe: recipe, calibration: try Self.calibration(2048), threads: 2)
        awqOptions.overrides = search.overrides
        awqOptions.method = "awq"
        let awq = try kl(awqOptions)
        #expect(awq < 0.75 * rtn, "AWQ KL \(awq) vs RTN KL \(rtn)")
    }
}
