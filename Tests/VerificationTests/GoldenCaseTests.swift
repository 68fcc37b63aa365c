import Foundation
import Testing
import TestSupport
import ModelGraph
import ReferenceRuntime
import Verification

/// Every committed golden case (computed by PyTorch + transformers) passes in float32 with
/// identical greedy tokens and a relative logit error far inside 1e-4.
@Suite struct GoldenCaseTests {
    static let cases = [
        ("vila-clip-linear-f16", "vila-clip-linear-f16"),
        ("vila-clip-linear-f16", "vila-clip-linear-f16.text-only"),
        ("vila-clip-mlp2x-bf16-sharded", "vila-clip-mlp2x-bf16-sharded"),
        ("vila-siglip-downsample-f32", "vila-siglip-downsample-f32"),
        ("llava-hf-f16", "llava-hf-f16"),
        ("llava-hf-nested-bf16-sharded", "llava-hf-nested-bf16-sharded"),
        ("vila-siglip-qwen2-f16", "vila-siglip-qwen2-f16"),
        ("vila-siglip-qwen2-f16", "vila-siglip-qwen2-f16.text-only"),
        ("nvila-siglip-3x3-qwen2-f16", "nvila-siglip-3x3-qwen2-f16"),
        ("nvila-s2-siglip-qwen2-f16", "nvila-s2-siglip-qwen2-f16"),
        ("nvila-s2-siglip-qwen2-f16", "nvila-s2-siglip-qwen2-f16.two-images"),
        ("vila-llama-biases-f16", "vila-llama-biases-f16.text-only"),
        ("vila-s2-siglip-f16", "vila-s2-siglip-f16"),
    ]

    @Test(arguments: cases)
    func goldenCasePasses(_ c: (model: String, golden: String)) throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/" + c.model))
        let golden = try GoldenFile(path: TestFiles.golden("cases/\(c.golden).golden.safetensors"))
        let report = try Verifier.verify(graph: graph, runner: try VLMRunner(graph), golden: golden, tolerances: Tolerances())
        #expect(report.passed, "\(report.stages.map { "\($0.stage): \($0.detail)" })")
        let logits = try #require(report.stages.first { $0.stage == "logits" }?.metrics)
        #expect(logits.maxRelError <= 1e-4)
        #expect(logits.top1Agreement == 1)
        #expect(report.generatedActual == golden.expected.generatedIDs)
        #expect(report.generatedActual.count == 6)
    }

    /// The VILA 1.5 checkpoint computed with NVILA's flat_square: it passes only when told
    /// `--projector-order nvila`; in its own order the projected tokens come out transposed.
    @Test func projectorOrderOverrideSelectsTheOtherFlatSquare() throws {
        let path = TestFiles.golden("models/vila-siglip-downsample-f32")
        let golden = try GoldenFile(path: TestFiles.golden("cases/vila-siglip-downsample-f32.nvila-order.golden.safetensors"))
        let nvila = try ModelLoader.load(path, overrides: ConfigOverrides(projectorOrder: .nvila))
        #expect(nvila.config.projector.mergeOrder == .nvila && nvila.config.projector.mergeOrderReason == "--projector-order")
        let passed = try Verifier.verify(graph: nvila, runner: try VLMRunner(nvila), golden: golden, tolerances: Tolerances())
        #expect(passed.passed, "\(passed.stages.map { "\($0.stage): \($0.detail)" })")
        let own = try ModelLoader.load(path)
        #expect(own.config.projector.mergeOrder == .vila15)
        let failed = try Verifier.verify(graph: own, runner: try VLMRunner(own), golden: golden, tolerances: Tolerances())
        #expect(!failed.passed)
        #expect(failed.stages.first { $0.stage == "vision" }?.passed == true)
        #expect(failed.stages.first { $0.stage == "projector" }?.passed == false)
    }

    @Test func goldenMetadataNamesFormatVersionAndGenerator() throws {
        for c in Self.cases {
            let g = try GoldenFile(path: TestFiles.golden("cases/\(c.1).golden.safetensors"))
            #expect(g.metadata["format"] == "vlmkit-golden")
            #expect(g.metadata["version"] == "1")
            #expect(g.metadata["generator"]?.contains("transformers") == true)
            #expect(g.metadata["model"] == "models/\(c.0)")
        }
    }

    @Test func goldenCasesCoverTheRequiredFeatures() throws {
        // two images interleaved with text, and no image at all
        let two = try GoldenFile(path: TestFiles.golden("cases/vila-clip-mlp2x-bf16-sharded.golden.safetensors"))
        #expect(two.inputs.imageCount == 2 && two.inputs.tokenIDs.last != RunInputs.imageToken)
        let none = try GoldenFile(path: TestFiles.golden("cases/vila-clip-linear-f16.text-only.golden.safetensors"))
        #expect(none.inputs.imageCount == 0 && none.inputs.pixelValues == nil)
        // odd SigLIP grid: 25 features → 9 projected tokens per image
        let sig = try GoldenFile(path: TestFiles.golden("cases/vila-siglip-downsample-f32.golden.safetensors"))
        #expect(sig.expected.visionFeatures?.shape == [2, 25, 32] && sig.expected.projected?.shape == [2, 9, 64])
    }
}
