import Testing
import TestSupport
@testable import ModelGraph

@Suite struct SlotShapesTests {
    /// The shapes stored models are checked against are exactly what the checkpoint loader binds.
    @Test(arguments: ["vila-clip-linear-f16", "vila-clip-mlp2x-bf16-sharded", "vila-siglip-downsample-f32",
                      "llava-hf-f16", "llava-hf-nested-bf16-sharded", "vila-llama-outliers-f16",
                      "vila-siglip-qwen2-f16"])
    func slotShapesMatchTheGraphOfEveryFixture(_ name: String) throws {
        let g = try ModelLoader.load(TestFiles.golden("models/" + name))
        let bound = Dictionary(uniqueKeysWithValues: g.tensors.map { ($0.slot, $0.shape.dims) })
        #expect(bound == ModelDescription(g.config).shapes(g.config))
    }
}
