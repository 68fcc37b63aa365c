import Testing
import TestSupport
import TensorIO
import ModelGraph
@testable import DeviceBundle

/// The manifest's model digest carries what a device runtime needs to compute NVILA without
/// parsing Hugging Face configs: the LLM architecture and its biases, the merge order, the tiling.
@Suite struct BundleModelInfoTests {
    @Test func nvilaDigestNamesQwen2TheMergeOrderAndDynamicS2() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/nvila-s2-siglip-qwen2-f16"))
        let path = TestFiles.tempDir("info") + "/m.vlmb"
        _ = try BundleWriter.write(try .checkpoint(graph), to: path, options: BundleWriter.Options())
        let model = try #require(try DeviceBundleFile(path: path).manifest["model"])
        #expect(model["llm"]?["architecture"]?.stringValue == "qwen2")
        #expect(model["llm"]?["q_k_v_bias"]?.boolValue == true && model["llm"]?["mlp_bias"]?.boolValue == false)
        #expect(model["projector"]?["merge_order"]?.stringValue == "nvila" && model["projector"]?["merge"]?.intValue == 2)
        #expect(model["projector"]?["image_tokens"]?.intValue == 4)  // per 4×4 block
        #expect(model["tiling"]?["mode"]?.stringValue == "dynamic_s2")
        #expect(model["tiling"]?["scales"]?.arrayValue?.compactMap(\.intValue) == [28, 56, 84])
        #expect(model["tiling"]?["resize_output_to"]?.intValue == 2 && model["tiling"]?["max_tiles"]?.intValue == 12)
        #expect(model["image_encoder"]?["end_tokens"]?.stringValue == "\n" && model["image_encoder"]?["start_tokens"] == .null)
    }

    @Test func nvilaLiteAndInternViTDigests() throws {
        let lite = BundleModelInfo.describe(try ModelLoader.load(TestFiles.golden("models/nvila-siglip-3x3-qwen2-f16")).config)
        #expect(lite["tiling"]?["mode"]?.stringValue == "dynamic" && lite["tiling"]?["max_tiles"]?.intValue == 6)
        #expect(lite["tiling"]?["tile_size"]?.intValue == 98 && lite["projector"]?["merge"]?.intValue == 3)
        let intern = BundleModelInfo.describe(try ModelLoader.load(TestFiles.golden("models/vila-intern-llama-f16")).config)
        #expect(intern["vision"]?["kind"]?.stringValue == "intern" && intern["vision"]?["qk_normalization"]?.boolValue == true)
        #expect(intern["vision"]?["qkv_bias"]?.boolValue == false && intern["image_encoder"] == .null)
    }

    @Test func plainModelsSaySingle() throws {
        let info = BundleModelInfo.describe(try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16")).config)
        #expect(info["tiling"]?["mode"]?.stringValue == "single")
        #expect(info["projector"]?["merge"] == nil && info["llm"]?["architecture"]?.stringValue == "llama")
    }
}
