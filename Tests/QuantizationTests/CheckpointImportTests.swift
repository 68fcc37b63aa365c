import Foundation
import Testing
import TestSupport
import ModelGraph
import ReferenceRuntime
import TensorIO
import Verification
@testable import Quantization

/// `vlmkit import` on checkpoints packed by AutoAWQ, AutoGPTQ and llm-awq's packing
/// (golden/imported_models.py), checked against transformers run on each tool's dequantized weights.
@Suite(.serialized) struct CheckpointImportTests {
    static let cases = ["autoawq-llama-g128", "gptq-qwen2-g32", "gptq-v2-actorder-g128", "llm-awq-llama-g128"]

    static func folder(_ name: String) -> String { TestFiles.golden("imported/" + name) }

    static func verify(_ weights: any WeightSource, _ name: String, exact: Bool = true) throws -> StageMetrics {
        let runner = try VLMRunner(weights: weights)
        let golden = try GoldenFile(path: TestFiles.golden("imported/\(name).golden.safetensors"))
        let report = try ComputeContext(activations: exact ? .float : .auto).run {
            try Verifier.verify(model: name, runner: runner, golden: golden, tolerances: Tolerances())
        }
        return try #require(report.stages.first { $0.stage == "logits" }?.metrics)
    }

    static func imported(_ name: String, reround: QuantScheme? = nil) throws -> (QuantizeReport, QuantizedModel) {
        let out = TestFiles.tempDir("import") + "/q"
        var options = CheckpointImporter.Options()
        options.threads = 2
        options.reroundScheme = reround
        let report = try CheckpointImporter.run(try ImportSource.detect(folder(name)), to: out, options: options)
        return (report, try QuantizedModel(path: out))
    }

    @Test func formatsAreReadFromTheFiles() throws {
        let found = try Self.cases.map { try ImportSource.detect(Self.folder($0)) }
        #expect(found.map(\.format) == [.autoAWQ, .gptq(.v1), .gptq(.v2), .llmAWQ])
        #expect(found.map(\.groupSize) == [128, 32, 128, 128])
        #expect(found[3].weightsPath.hasSuffix("llm/tiny-w4-g128-awq-v2.pt"))
        #expect(Self.cases.allSatisfy { ImportSource.isPackedCheckpoint(Self.folder($0)) })
        #expect(!ImportSource.isPackedCheckpoint(TestFiles.golden("models/vila-llama-outliers-f16")))
    }

    /// The dequantizing view computes what transformers computes on each tool's dequantized weights,
    /// act-order and llm-awq included: at float32 tolerances.
    @Test(arguments: cases) func floatViewMatchesTheToolsDequantization(_ name: String) throws {
        let graph = try ImportSource.detect(Self.folder(name)).loadGraph()
        let m = try Self.verify(GraphWeights(graph), name)
        #expect(m.maxRelError < 1e-4, "\(m)")
        #expect(m.top1Agreement == 1)
    }

    /// AutoAWQ and GPTQ without act-order are held bit for bit: the quantized folder's exact path
    /// matches PyTorch on the tool's dequantized weights at float32 tolerances.
    @Test(arguments: ["autoawq-llama-g128", "gptq-qwen2-g32"]) func exactImportsKeepTheToolsWeights(_ name: String) throws {
        let (report, model) = try Self.imported(name)
        let summary = try #require(report.imported)
        #expect(summary.exact == 14 && summary.rounded == 0 && summary.rerounded.isEmpty)
        let quantized = report.tensors.filter { $0.stats != nil }
        #expect(quantized.count == 14)
        let m = try Self.verify(model, name)
        #expect(m.maxRelError < 1e-4, "\(m)")
        #expect(m.top1Agreement == 1)
    }

    /// llm-awq stores f16(−s·z): z is recovered, and (q − z)·s differs from TinyChat's
    /// q·s + scaled_zero by the rounding of s·z, which the report measures (golden: 1.2e-4 at most).
    @Test func llmAWQImportReportsTheZeroPointRounding() throws {
        let (report, model) = try Self.imported("llm-awq-llama-g128")
        #expect(try #require(report.imported).rounded == 14)
        let stats = report.tensors.compactMap(\.stats)
        #expect(stats.count == 14)
        #expect(stats.contains { $0.maxAbsError > 0 })
        #expect(stats.allSatisfy { $0.maxAbsError < 5e-4 && $0.nmse < 1e-6 })
        // The activation-outlier model amplifies it: measured max rel 2.2e-2, KL 2.1e-5, top-1 0.99.
        let m = try Self.verify(model, "llm-awq-llama-g128")
        #expect(try #require(m.meanKL) < 1e-4, "\(m)")
        #expect(try #require(m.top1Agreement) > 0.97)
    }

    /// Act-order groups cannot be held by consecutive groups: every Linear is re-rounded from
    /// GPTQ's dequantization with its error reported; int8 adds far less than int4.
    @Test func actOrderIsReroundedWithTheAddedError() throws {
        let (int4, _) = try Self.imported("gptq-v2-actorder-g128")
        #expect(try #require(int4.imported).rerounded.count == 14)
        #expect(int4.tensors.compactMap(\.stats).allSatisfy { $0.nmse > 0 })
        let (int8, model) = try Self.imported("gptq-v2-actorder-g128", reround: .int8)
        #expect(Set(int8.tensors.filter { $0.stats != nil }.map(\.storage)) == ["int8"])
        let mean = { (r: QuantizeReport) in r.tensors.compactMap(\.stats).map(\.nmse).reduce(0, +) / 14 }
        #expect(mean(int8) < mean(int4) / 20, "int8 \(mean(int8)), int4 \(mean(int4))")
        let m = try Self.verify(model, "gptq-v2-actorder-g128")
        #expect(m.cosineSimilarity > 0.99, "\(m)")
    }
}
