import Foundation
import Testing
import TestSupport
import ModelGraph
import ReferenceRuntime
@testable import Quantization

/// The layer-by-layer AWQ run (`AWQRun`) against the in-memory search (`AWQ.search` then one
/// quantizer pass over its overrides): the same scales and clipping, the same packed bytes.
@Suite struct AWQRunTests {
    static func calibration() throws -> CalibrationData {
        try CalibrationData.load(TestFiles.golden("calibration/random-ids-4096.txt"), tokens: 512, sequenceLength: 256, vocab: 512)
    }

    @Test(arguments: [QuantScheme.int4(groupSize: 128, symmetric: false), .int4(groupSize: 32, symmetric: true), .int8])
    func streamingRunWritesTheInMemorySearchesBytes(_ scheme: QuantScheme) throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-llama-outliers-f16"))
        let recipe = QuantRecipe(defaultScheme: scheme)
        let dir = TestFiles.tempDir("awqrun")
        let cal = try Self.calibration()

        let search = try AWQ.search(graph: graph, recipe: recipe, calibration: cal, threads: 2)
        var inMemory = ModelQuantizer.Options(recipe: recipe)
        inMemory.threads = 2
        inMemory.method = "awq"
        inMemory.overrides = search.overrides
        inMemory.awq = search.summary
        let a = try ModelQuantizer.quantize(graph, to: dir + "/memory", options: inMemory)

        var options = ModelQuantizer.Options(recipe: recipe)
        options.threads = 2
        var steps: [AWQ.Step] = []
        let b = try AWQRun.quantize(graph, calibration: cal, to: dir + "/streamed", options: options, resume: false) {
            if case .step(let s) = $0 { steps.append(s) }
        }
        for name in [QuantizedModelFormat.weightsName, QuantizedModelFormat.manifestName] {
            let x = try Data(contentsOf: URL(fileURLWithPath: dir + "/memory/" + name))
            let y = try Data(contentsOf: URL(fileURLWithPath: dir + "/streamed/" + name))
            #expect(x == y, "\(name) differs")
        }
        #expect(a.tensors.map(\.slot) == b.tensors.map(\.slot))
        #expect(a.tensors.map { $0.stats?.nmse } == b.tensors.map { $0.stats?.nmse })
        let choices = { (s: AWQSummary?) in s?.choices.map { "\($0.layer) \($0.group) \($0.alpha.bitPattern) \($0.bestLoss.bitPattern)" } ?? [] }
        #expect(choices(a.awq) == choices(b.awq) && !choices(b.awq).isEmpty)
        #expect(a.awq?.clippedTensors == b.awq?.clippedTensors)
        // The run folder is gone, and every layer reported its groups, then its end.
        #expect(!FileManager.default.fileExists(atPath: AWQRun.runFolder(for: dir + "/streamed")))
        #expect(steps.filter { $0.group == nil }.map(\.layer) == Array(0..<graph.config.llm.numLayers))
        #expect(steps.contains { $0.group == "gate_up" })
    }

    /// Image + text calibration (activations from the whole VLM, the image's tokens spliced in)
    /// streams too, and still matches the in-memory search.
    @Test func imageCalibrationStreamsAndMatches() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let cal = try CalibrationData.load(TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors"), tokens: 8192,
                                           sequenceLength: 512, vocab: graph.config.llm.vocabSize)
        #expect(cal.pixelValues != nil && cal.sequences[0].contains(RunInputs.imageToken))
        let recipe = QuantRecipe(defaultScheme: .int4(groupSize: 32, symmetric: false))
        let dir = TestFiles.tempDir("awqimg")
        let search = try AWQ.search(graph: graph, recipe: recipe, calibration: cal, threads: 2)
        var inMemory = ModelQuantizer.Options(recipe: recipe)
        inMemory.method = "awq"
        inMemory.overrides = search.overrides
        inMemory.awq = search.summary
        _ = try ModelQuantizer.quantize(graph, to: dir + "/memory", options: inMemory)
        let b = try AWQRun.quantize(graph, calibration: cal, to: dir + "/streamed", options: ModelQuantizer.Options(recipe: recipe), resume: false)
        let imageTokens = try graph.config.imageTokens.get()
        #expect(b.awq?.calibrationTokens == cal.tokenCount - 1 + imageTokens)
        let x = try Data(contentsOf: URL(fileURLWithPath: dir + "/memory/model.safetensors"))
        let y = try Data(contentsOf: URL(fileURLWithPath: dir + "/streamed/model.safetensors"))
        #expect(x == y)
    }

    /// A run folder left by an interrupted run is refused without --resume, and a resume with
    /// another recipe or calibration is refused with the reason.
    @Test func interruptedRunsAreNotMixedUp() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-llama-outliers-f16"))
        let dir = TestFiles.tempDir("awqmix")
        let out = dir + "/q"
        let recipe = QuantRecipe(defaultScheme: .int4(groupSize: 128, symmetric: false))
        let cal = try Self.calibration()
        _ = try AWQRun.prepareFolder(AWQRun.runFolder(for: out),
                                     record: try AWQRunRecord(graph: graph, recipe: recipe, settings: AWQ.Settings(), calibration: cal),
                                     resume: false, layers: graph.config.llm.numLayers)
        let options = ModelQuantizer.Options(recipe: recipe)
        #expect { try AWQRun.quantize(graph, calibration: cal, to: out, options: options, resume: false) } throws: {
            String(describing: $0).contains("pass --resume to continue it")
        }
        #expect { try AWQRun.quantize(graph, calibration: cal, to: out, options: ModelQuantizer.Options(recipe: QuantRecipe(defaultScheme: .int8)),
                                      resume: true) } throws: {
            String(describing: $0).contains("cannot resume: the recipe differs (interrupted run: \(recipe.description); now: ")
        }
        let other = try CalibrationData.load(TestFiles.golden("calibration/random-ids-4096.txt"), tokens: 256, sequenceLength: 256, vocab: 512)
        #expect { try AWQRun.quantize(graph, calibration: other, to: out, options: options, resume: true) } throws: {
            String(describing: $0).contains("cannot resume: the calibration differs")
        }
        // The matching resume runs from the first layer (none was finished) and completes.
        _ = try AWQRun.quantize(graph, calibration: cal, to: out, options: options, resume: true)
        #expect(FileManager.default.fileExists(atPath: out + "/model.safetensors"))
    }
}
