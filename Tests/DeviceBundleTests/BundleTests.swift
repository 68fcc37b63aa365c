import Foundation
import Testing
import TestSupport
import TensorIO
import ModelGraph
import ReferenceRuntime
import Quantization
import Verification
@testable import DeviceBundle
import Pipeline

@Suite struct BundleTests {
    static let goldenPath = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")

    func quantized() throws -> QuantizedModel {
        let out = TestFiles.tempDir("b") + "/q4"
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        _ = try ModelQuantizer.quantize(graph, to: out, options: .init(recipe: QuantRecipe(defaultScheme: .int4(groupSize: 32, symmetric: false))))
        return try QuantizedModel(path: out)
    }

    func verify(_ w: any WeightSource) throws -> VerificationReport {
        var tol = Tolerances()
        tol.maxRel = 10; tol.maxKL = 10; tol.minTop1 = 0; tol.requireGenerated = false
        return try Verifier.verify(model: "m", runner: try VLMRunner(weights: w), golden: try GoldenFile(path: Self.goldenPath), tolerances: tol)
    }

    /// quantize → bundle → verify from the bundle gives exactly the numbers of the quantized model.
    @Test(arguments: [nil, Int32(3)])
    func bundleRoundTripGivesIdenticalNumbers(_ zstd: Int32?) throws {
        let q = try quantized()
        let path = TestFiles.tempDir("b") + "/m.vlmb"
        var options = BundleWriter.Options()
        options.zstdLevel = zstd
        let summary = try BundleWriter.write(try .quantized(q), to: path, options: options)
        #expect(summary.tensors == q.store.tensors.count)
        if zstd != nil { #expect(summary.compressedBlobs > 0) }
        let b = try DeviceBundleFile(path: path)
        try b.verifyBlobs()
        let fromFolder = try verify(q), fromBundle = try verify(try b.weights())
        for (a, c) in zip(fromFolder.stages, fromBundle.stages) {
            #expect(a.metrics == c.metrics, "\(a.stage)")
        }
        #expect(fromFolder.generatedActual == fromBundle.generatedActual)
        // Uncompressed blobs are aligned for use in place.
        for blob in b.blobs.values { #expect(blob.range.lowerBound % 64 == 0) }
        #expect(b.files.map(\.name).contains("vision_tower/preprocessor_config.json"))
        #expect(b.manifest["preprocessor"]?["image_mean"] != nil)
        #expect(b.manifest["model"]?["projector"]?["image_tokens"]?.intValue == 16)
    }

    @Test func floatCheckpointBundleVerifiesAgainstTheGolden() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let path = TestFiles.tempDir("b") + "/f.vlmb"
        _ = try BundleWriter.write(try .checkpoint(graph), to: path)
        let report = try Verifier.verify(model: path, runner: try VLMRunner(weights: try DeviceBundleFile(path: path).weights()),
                                         golden: try GoldenFile(path: Self.goldenPath), tolerances: Tolerances())
        #expect(report.passed)
    }

    @Test func corruptingOneByteOfABlobNamesTheTensor() throws {
        let q = try quantized()
        let path = TestFiles.tempDir("b") + "/m.vlmb"
        _ = try BundleWriter.write(try .quantized(q), to: path)
        let target = try #require(try DeviceBundleFile(path: path).blobs["llm.layers.1.mlp.up.qweight"])
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[target.range.lowerBound + 5] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
        let b = try DeviceBundleFile(path: path)  // header and manifest are intact: the fast check passes
        #expect(throws: BundleError.checksumMismatch(file: path, name: "llm.layers.1.mlp.up.qweight")) { try b.verifyBlobs() }
    }

    @Test func damagedHeadersAndManifestsAreRefused() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let dir = TestFiles.tempDir("b")
        let path = dir + "/m.vlmb"
        _ = try BundleWriter.write(try .checkpoint(graph), to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func error(_ edit: (inout Data) -> Void) -> String {
            var d = good
            edit(&d)
            let p = dir + "/bad-\(UUID().uuidString).vlmb"
            try! d.write(to: URL(fileURLWithPath: p))
            do { _ = try DeviceBundleFile(path: p); return "no error" } catch { return String(describing: error) }
        }
        #expect(error { $0[0] = 0x58 }.contains("not a VLMKit bundle (bad magic)"))
        #expect(error { $0[8] = 2 }.contains("bundle format version 2 is not supported"))
        #expect(error { $0.removeLast(10) }.contains("header records"))
        #expect(error { $0 = $0.prefix(100) }.contains("shorter than the 128-byte header"))
        let h = try good.withUnsafeBytes { try BundleHeader.decode($0, file: path) }
        #expect(error { $0[Int(h.manifestOffset) + 3] ^= 1 }.contains("manifest checksum mismatch"))
        #expect(error { $0[16] = 0xFF; $0[23] = 0x7F }.contains("manifest range"))
    }

    /// A bundle whose tensors do not fit its config is refused before the runtime sees it.
    @Test func bundleWithAMisShapedTensorIsRefused() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let good = try BundleInput.checkpoint(graph)
        let tensors = good.tensors.map { t -> BundleInput.TensorEntry in
            guard t.name == "llm.norm.weight" else { return t }
            return .init(name: t.name, dtype: .f16, shape: [32], origin: t.origin) { body in try [UInt8](repeating: 0, count: 64).withUnsafeBytes(body) }
        }
        let bad = BundleInput(sourcePath: good.sourcePath, sourceKind: good.sourceKind, layout: good.layout, config: good.config,
                              files: good.files, tensors: tensors, quantization: good.quantization)
        let path = TestFiles.tempDir("b") + "/bad.vlmb"
        _ = try BundleWriter.write(bad, to: path)
        let b = try DeviceBundleFile(path: path)
        try b.verifyBlobs()  // intact as a file …
        #expect { try b.weights() } throws: {  // … but not a model of its config
            String(describing: $0).contains("'llm.norm.weight' in \(path) has shape [32], expected [64]")
        }
    }

    /// A NaN in a blob is refused by name (the check runs beside the hash and the write) and
    /// leaves no file; --allow-nonfinite writes it, and the blob verifies.
    @Test func nonFiniteBlobIsRefusedAndLeavesNoFile() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let good = try BundleInput.checkpoint(graph)
        var nan = [UInt16](repeating: 0x3C00, count: 64)
        nan[41] = 0x7E00
        let tensors = good.tensors.map { t -> BundleInput.TensorEntry in
            guard t.name == "llm.norm.weight" else { return t }
            return .init(name: t.name, dtype: .f16, shape: [64], origin: t.origin) { body in try nan.withUnsafeBytes(body) }
        }
        let bad = BundleInput(sourcePath: good.sourcePath, sourceKind: good.sourceKind, layout: good.layout, config: good.config,
                              files: good.files, tensors: tensors, quantization: good.quantization)
        let dir = TestFiles.tempDir("b")
        let path = dir + "/nan.vlmb"
        #expect { _ = try BundleWriter.write(bad, to: path) } throws: {
            String(describing: $0).contains("llm.norm.weight") && String(describing: $0).contains("41")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "no bundle and no temporary file")
        var options = BundleWriter.Options()
        options.allowNonFinite = true
        _ = try BundleWriter.write(bad, to: path, options: options)
        try DeviceBundleFile(path: path).verifyBlobs(allowNonFinite: true)
    }
}
