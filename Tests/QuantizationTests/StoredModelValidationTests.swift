import Foundation
import Testing
import TestSupport
import TensorCore
import TensorIO
import ModelGraph
@testable import Quantization

/// A quantized folder whose tensors do not fit its config is refused on open, before anything
/// could trust a size the file claims.
@Suite struct StoredModelValidationTests {
    func quantizedFolder() throws -> String {
        let out = TestFiles.tempDir("sv") + "/q"
        let g = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        _ = try ModelQuantizer.quantize(g, to: out, options: .init(recipe: QuantRecipe(defaultScheme: .int4(groupSize: 32, symmetric: false))))
        return out
    }

    func error(_ edit: (String) -> Void) throws -> String {
        let dir = try quantizedFolder()
        edit(dir + "/model.safetensors")
        do { _ = try QuantizedModel(path: dir); return "no error" } catch { return String(describing: error) }
    }

    @Test func wrongShapeMissingAndExtraTensorsAreReported() throws {
        #expect(try error { FixtureEditing.editTensors($0, drop: ["projector.linear.bias"], add: [("projector.linear.bias", .f16, [3], [0, 0, 0, 0, 0, 0])]) }
            .contains("'projector.linear.bias' in"))
        #expect(try error { FixtureEditing.editTensors($0, drop: ["llm.layers.0.mlp.up.scales"]) }
            .contains("1 missing: 'llm.layers.0.mlp.up.scales'"))
        #expect(try error { FixtureEditing.editTensors($0, add: [("surprise", .f16, [1], [0, 0])]) }
            .contains("1 unused: 'surprise'"))
        #expect(try error { FixtureEditing.editTensors($0, drop: ["llm.layers.1.attn.q.qweight"],
                                                        add: [("llm.layers.1.attn.q.qweight", .u8, [64, 16], [UInt8](repeating: 0, count: 1024))]) }
            .contains("has shape [64, 16], expected [64, 32]"))
    }

    @Test func aValidFolderOpens() throws {
        #expect(try error { _ in } == "no error")
    }
}
