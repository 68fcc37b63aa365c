import Imaging
import ModelGraph
import TensorIO
import TestSupport
import Testing

/// VILA's InternVisionPreprocessor (torchvision's PIL bicubic resize to a square, ÷255, ImageNet
/// mean/std), as golden/intern_vit.py computes it: bit-identical at the tiny model's 28 px and
/// at InternViT-6B's 448 px.
@Suite struct InternPreprocessTests {
    @Test func pixelsEqualTorchvisionsTransform() throws {
        let golden = try SafetensorsFile(path: TestFiles.golden("images/intern-pixels.golden.safetensors"))
        var checked = 0
        for name in golden.tensorNames {
            let parts = name.split(separator: ".", maxSplits: 2)
            let size = Int(parts[1])!, file = String(parts[2])
            let pre = ImagePreprocessor(config: .intern(size: size), aspect: .processor)
            let px = try pre.pixelValues(paths: [TestFiles.golden("images/files/" + file)], expectedSize: size)
            let expected = try golden.float32(name)
            #expect(px.data == expected.data, "\(name)")
            checked += 1
        }
        #expect(checked == 6)
    }

    /// The preprocessor_config.json VILA writes for it names the class and resize_size only.
    @Test func vilasSavedPreprocessorIsRead() throws {
        let c = try ConfigObject(json: try JSONParser.parse(#"{"image_processor_type": "InternVisionPreprocessor", "resize_size": 448}"#), file: "p")
        let v = try VisionConfig(try ConfigObject(json: try JSONParser.parse(#"{"model_type": "intern_vit_6b", "image_size": 448}"#), file: "v"))
        #expect(try ImageProcessorConfig.read(c, vision: v) == .intern(size: 448))
        #expect(v.hiddenSize == 3200 && v.numHeads == 25 && v.numLayers == 48 && v.patchSize == 14 && v.numPositions == 1025)
        #expect(v.qkNormalization && !v.qkvBias && v.hiddenAct == "gelu")
        // InternViT-300M's LayerNorm variant is not VILA's module: refused by name.
        let ln = try ConfigObject(json: try JSONParser.parse(#"{"model_type": "intern_vit_6b", "norm_type": "layer_norm"}"#), file: "v")
        #expect(throws: ConfigError.self) { try VisionConfig(ln) }
    }
}
