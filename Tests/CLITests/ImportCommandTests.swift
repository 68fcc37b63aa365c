import Foundation
import Testing
import TestSupport
import TensorIO

/// `vlmkit import` end to end: an AutoAWQ checkpoint → quantized folder → verify, run on the
/// packed folder itself, export of the imported model, and the exit code of a refusal.
@Suite struct ImportCommandTests {
    let model = TestFiles.golden("imported/autoawq-llama-g128")
    let golden = TestFiles.golden("imported/autoawq-llama-g128.golden.safetensors")

    @Test func importVerifyAndExport() throws {
        let dir = TestFiles.tempDir("icli")
        let r = try CLIRunner.run(["import", model, "-o", dir + "/q", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let imported = report["imported"] as! [String: Any]
        #expect(imported["format"] as? String == "autoawq")
        #expect(imported["exact"] as? Int == 14)
        #expect(report["method"] as? String == "import-autoawq")
        // The quantized folder's exact path computes what transformers computes on AutoAWQ's weights.
        let v = try CLIRunner.run(["verify", dir + "/q", "--golden", golden, "--exact"])
        #expect(v.status == 0, "\(v.stdout)")
        // So does the AutoAWQ folder itself, read through its dequantization.
        let direct = try CLIRunner.run(["verify", model, "--golden", golden])
        #expect(direct.status == 0, "\(direct.stdout)\(direct.stderr)")
        let gguf = try CLIRunner.run(["export", dir + "/q", "--format", "gguf", "-o", dir + "/m.gguf"])
        #expect(gguf.status == 0, "\(gguf.stderr)")
    }

    @Test func textReportAndRefusals() throws {
        let dir = TestFiles.tempDir("icli")
        let r = try CLIRunner.run(["import", TestFiles.golden("imported/gptq-v2-actorder-g128"), "-o", dir + "/q"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("import: gptq_v2"))
        #expect(r.stdout.contains("re-rounded for act-order groups (g_idx): 14"))
        // inspect and quantize read a packed folder through the tool's dequantization too.
        let inspect = try CLIRunner.run(["inspect", TestFiles.golden("imported/llm-awq-llama-g128")])
        #expect(inspect.status == 0 && inspect.stdout.contains("Llama: hidden 256"), "\(inspect.stderr)")
        #expect(inspect.stdout.contains("llm-awq int4 g128") && inspect.stdout.contains("int4 (llm-awq)"), "\(inspect.stdout)")
        let requant = try CLIRunner.run(["quantize", TestFiles.golden("imported/gptq-qwen2-g32"), "-o", dir + "/q8", "--scheme", "int8"])
        #expect(requant.status == 0 && requant.stdout.contains("14 tensors quantized"), "\(requant.stderr)")
        let float = try CLIRunner.run(["import", TestFiles.golden("models/vila-clip-linear-f16"), "-o", dir + "/f"])
        #expect(float.status == 2)
        #expect(float.stderr.contains("not a quantized checkpoint"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/f"))
    }
}

/// `export --format autoawq` writes what `import` reads back bit for bit (each direction is checked
/// against AutoAWQ's own packer in AutoAWQPackingTests; golden/check_autoawq_export.py checks the
/// folder with AutoAWQ's dequantization), and refuses what AutoAWQ GEMM cannot hold.
@Suite struct AutoAWQExportCommandTests {
    let model = TestFiles.golden("models/vila-llama-outliers-f16")

    @Test func exportThenImportGivesTheSameQuantizedTensors() throws {
        let dir = TestFiles.tempDir("awqx")
        #expect(try CLIRunner.run(["quantize", model, "-o", dir + "/q", "--scheme", "int4", "--keep", "llm.layers.1.mlp.down"]).status == 0)
        let e = try CLIRunner.run(["export", dir + "/q", "--format", "autoawq", "-o", dir + "/awq"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("13 packed Linears") && e.stdout.contains("model.layers.1.mlp.down_proj"), "\(e.stdout)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/awq/llm/config.json"))) as! [String: Any]
        let qc = config["quantization_config"] as! [String: Any]
        #expect(qc["quant_method"] as? String == "awq" && qc["version"] as? String == "gemm" && qc["group_size"] as? Int == 128)
        #expect(qc["modules_to_not_convert"] as? [String] == ["model.layers.1.mlp.down_proj"])
        #expect(FileManager.default.fileExists(atPath: dir + "/awq/vision_tower/model.safetensors"))
        try expectImportGivesBack(dir)
    }

    @Test func whatAutoAWQCannotHoldIsRefused() throws {
        let dir = TestFiles.tempDir("awqx")
        #expect(try CLIRunner.run(["quantize", model, "-o", dir + "/q8", "--scheme", "int8"]).status == 0)
        let r = try CLIRunner.run(["export", dir + "/q8", "--format", "autoawq", "-o", dir + "/awq"])
        #expect(r.status == 2 && r.stderr.contains("AutoAWQ GEMM holds int4 Linears"), "\(r.stderr)")
        let float = try CLIRunner.run(["export", model, "--format", "autoawq", "-o", dir + "/awq2"])
        #expect(float.status == 2 && float.stderr.contains("takes a quantized model folder"), "\(float.stderr)")
    }
}

/// The LLaVA-HF layout (one folder, quantization_config in config.json): export and import round trip.
@Suite struct LLaVAHFAutoAWQTests {
    @Test func llavaHFRoundTrip() throws {
        let dir = TestFiles.tempDir("awqhf")
        let model = TestFiles.golden("models/llava-hf-f16")
        #expect(try CLIRunner.run(["quantize", model, "-o", dir + "/q", "--scheme", "int4", "-g", "32"]).status == 0)
        let e = try CLIRunner.run(["export", dir + "/q", "--format", "autoawq", "-o", dir + "/awq"])
        #expect(e.status == 0, "\(e.stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/awq/config.json"))) as! [String: Any]
        let qc = config["quantization_config"] as! [String: Any]
        #expect(qc["group_size"] as? Int == 32)
        #expect(qc["modules_to_not_convert"] as? [String] == ["model.vision_tower.vision_model", "model.multi_modal_projector"])
        let st = try SafetensorsFile(path: dir + "/awq/model.safetensors")
        #expect(st.info("model.language_model.layers.0.self_attn.q_proj.qweight")?.dtype == .i32)
        #expect(st.info("model.vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight") != nil)
        try expectImportGivesBack(dir)
    }
}

/// `import DIR/awq -o DIR/back` succeeds and its weights are DIR/q's, tensor for tensor, byte for byte.
func expectImportGivesBack(_ dir: String) throws {
    let i = try CLIRunner.run(["import", dir + "/awq", "-o", dir + "/back"])
    #expect(i.status == 0, "\(i.stderr)")
    let a = try SafetensorsFile(path: dir + "/q/model.safetensors"), b = try SafetensorsFile(path: dir + "/back/model.safetensors")
    #expect(a.tensorNames == b.tensorNames)
    for name in a.tensorNames {
        #expect(try a.withBytes(name) { Array($0) } == b.withBytes(name) { Array($0) }, "\(name)")
    }
}
