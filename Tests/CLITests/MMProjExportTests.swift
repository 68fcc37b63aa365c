import Foundation
import Testing
import TestSupport
import GGUF
import TensorIO

/// `export --format mmproj`: written only where a llama.cpp projector computes the model, approximate
/// ones only with --allow-approximate, every other model refused with its reason (MMProjMapping).
/// scripts/check_mmproj.py measures the written files in llama.cpp.
@Suite struct MMProjExportTests {
    static func model(_ name: String) -> String { TestFiles.golden("models/" + name) }

    @Test func nvilaOrderMergeIsLlamaCppsLFM2Projector() throws {
        let dir = TestFiles.tempDir("mmproj")
        let m = Self.model("nvila-siglip-224-f32")
        let refused = try CLIRunner.run(["export", m, "--format", "mmproj", "-o", dir + "/a.gguf"])
        #expect(refused.status == 2 && refused.stderr.contains("--allow-approximate") && refused.stderr.contains("tanh"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/a.gguf"))
        let r = try CLIRunner.run(["export", m, "--format", "mmproj", "--allow-approximate", "--type", "f32", "-o", dir + "/m.gguf"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: approximate"))
        let g = try GGUFFile(path: dir + "/m.gguf")
        #expect(g.metadata["general.architecture"]?.stringValue == "clip")
        #expect(g.metadata["clip.projector_type"]?.stringValue == "lfm2")
        #expect(g.metadata["clip.vision.projector.scale_factor"]?.uint32Value == 2)
        // select layer −2 of 3: llama.cpp's SigLIP graph runs every layer it is given, so 2 are written.
        #expect(g.metadata["clip.vision.block_count"]?.uint32Value == 2)
        let names = Set(g.tensors.map(\.name))
        #expect(names.contains("v.blk.1.ffn_down.weight") && !names.contains("v.blk.2.ln1.weight"))
        #expect(names.isSuperset(of: ["mm.input_norm.weight", "mm.input_norm.bias", "mm.1.weight", "mm.2.weight", "v.position_embd.weight"]))
        // Values are the checkpoint's: the projector's first Linear (layers.2) as stored, in ggml's [cols, rows].
        let st = try SafetensorsFile(path: Self.model("nvila-siglip-224-f32") + "/mm_projector/model.safetensors")
        let fc1 = try st.float32("layers.2.weight")
        #expect(g.tensors.first { $0.name == "mm.1.weight" }?.dims == [fc1.shape[1], fc1.shape[0]])
        #expect(try g.floats("mm.1.weight") == fc1.data)
    }

    @Test func siglipMLP2xIsLlamaCppsLLaVAProjector() throws {
        let dir = TestFiles.tempDir("mmproj")
        let r = try CLIRunner.run(["export", Self.model("siglip-mlp2x-224-f32"), "--format", "mmproj", "--allow-approximate", "-o", dir + "/m.gguf"])
        #expect(r.status == 0, "\(r.stderr)")
        let g = try GGUFFile(path: dir + "/m.gguf")
        #expect(g.metadata["clip.projector_type"]?.stringValue == "mlp")
        #expect(g.metadata["clip.vision.block_count"]?.uint32Value == 3, "all layers: llama.cpp's LLaVA graph stops before the last")
        #expect(g.tensors.first { $0.name == "mm.0.weight" }?.type == .f16)
        #expect(g.tensors.first { $0.name == "v.patch_embd.weight" }?.type == .f32)
    }

    @Test(arguments: [
        ("vila-siglip-downsample-f32", "VILA 1.5's token order"),
        ("vila-clip-linear-f16", "projector 'linear'"),
        ("vila-clip-mlp2x-bf16-sharded", "a CLIP tower"),
        ("llava-hf-f16", "a CLIP tower"),
        ("vila-s2-siglip-f16", "S2"),
        ("nvila-siglip-3x3-qwen2-f16", "dynamic tiles"),
        ("vila-intern-llama-f16", "InternViT"),
    ]) func everyOtherModelIsRefusedWithItsReason(_ name: String, _ says: String) throws {
        let dir = TestFiles.tempDir("mmproj")
        let r = try CLIRunner.run(["export", Self.model(name), "--format", "mmproj", "--allow-approximate", "-o", dir + "/m.gguf"])
        #expect(r.status == 2 && r.stderr.contains(says), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.gguf"))
    }
}
