import Foundation
import Testing
import TestSupport
import TensorIO
import ModelGraph
import ReferenceRuntime
@testable import Quantization

@Suite struct QuantizedModelTests {
    func graph() throws -> VLMGraph { try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16")) }

    @Test func writtenMatricesReadBackEqualToRTN() throws {
        let g = try graph()
        let out = TestFiles.tempDir("qm") + "/q"
        let report = try ModelQuantizer.quantize(g, to: out, options: .init(recipe: QuantRecipe(defaultScheme: .int4(groupSize: 32, symmetric: false))))
        #expect(report.quantizedCount == 14)
        let m = try QuantizedModel(path: out)
        #expect(m.config.llm.hiddenSize == 64)
        for layer in ModelQuantizer.linearLayers(g) where layer.prefix.hasPrefix("llm.layers.") {
            let expected = try RTNQuantizer.quantize(try layer.ref.float32().data, rows: layer.ref.shape[0], cols: layer.ref.shape[1],
                                                     scheme: .int4(groupSize: 32, symmetric: false))
            #expect(try m.matrix(layer.prefix, scheme: .int4(groupSize: 32, symmetric: false)) == expected)
        }
        // Kept tensors are the source's f16 values, unchanged.
        #expect(try m.floats("vision.pos_embed") == (try g.vision.positionEmbed.float32().data))
        #expect(m.store.info("projector.linear.weight")?.dtype == .f16)
        #expect(m.store.info("llm.layers.0.attn.q.weight") == nil)
        // The configs travel with the model.
        #expect(FileManager.default.fileExists(atPath: out + "/config/vision_tower/preprocessor_config.json"))
    }

    @Test func recipeRulesSelectLayers() throws {
        var r = QuantRecipe(defaultScheme: .int4(groupSize: 32, symmetric: false))
        #expect(r.scheme(for: "llm.layers.3.attn.q") == .int4(groupSize: 32, symmetric: false))
        #expect(r.scheme(for: "vision.layers.0.attn.q") == nil)
        #expect(r.scheme(for: "llm.lm_head") == nil)
        try r.addSchemeRule("llm.layers.*.mlp.*=int8")
        r.keep("llm.layers.0.*")
        try r.addSchemeRule("vision.*=int8")
        #expect(r.scheme(for: "llm.layers.3.mlp.down") == .int8)
        #expect(r.scheme(for: "llm.layers.0.mlp.down") == nil)
        #expect(r.scheme(for: "vision.layers.1.mlp.fc1") == .int8)
        #expect(throws: RecipeError.self) { try r.addSchemeRule("vision.*=int3") }
        #expect(QuantRecipe.glob("a*c", matches: "abbbc") && !QuantRecipe.glob("a*c", matches: "abbb") && QuantRecipe.glob("*", matches: ""))
    }

    @Test func groupSizeThatDoesNotDivideIsRefusedBeforeWriting() throws {
        let out = TestFiles.tempDir("qm") + "/q"
        #expect { try ModelQuantizer.quantize(try graph(), to: out, options: .init(recipe: QuantRecipe(defaultScheme: .int4(groupSize: 128, symmetric: false)))) } throws: {
            String(describing: $0).contains("llm.layers.0.attn.q.weight (model.layers.0.self_attn.q_proj.weight): input dimension 64 is not a multiple of the group size 128")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: Path.directory(of: out)).isEmpty)
    }

    @Test func existingOutputIsNotOverwritten() throws {
        let dir = TestFiles.tempDir("qm")
        #expect(throws: ModelQuantizer.WriteError.self) {
            try ModelQuantizer.quantize(try graph(), to: dir, options: .init(recipe: QuantRecipe(defaultScheme: .int8)))
        }
    }

    @Test func quantizedModelRunsWithinExpectedErrorOfTheFloatOne() throws {
        let g = try graph()
        let out = TestFiles.tempDir("qm") + "/q8"
        _ = try ModelQuantizer.quantize(g, to: out, options: .init(recipe: QuantRecipe(defaultScheme: .int8)))
        let inputs = RunInputs(tokenIDs: [1, 20, 30, 40, 50], pixelValues: nil)
        let float = try VLMRunner(g).run(inputs, maxNewTokens: 0).logits.data
        let quant = try VLMRunner(weights: try QuantizedModel(path: out)).run(inputs, maxNewTokens: 0).logits.data
        let maxRef = float.map(abs).max()!
        let maxErr = zip(float, quant).map { abs($0 - $1) }.max()!
        // int8 reaches 2.28e-2 of the largest logit here; the bound is 2× that.
        #expect(maxErr > 0 && maxErr / maxRef < 0.046)
    }
}
