import Foundation
import Testing
import TestSupport

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
        let float = try CLIRunner.run(["import", TestFiles.golden("models/vila-clip-linear-f16"), "-o", dir + "/f"])
        #expect(float.status == 2)
        #expect(float.stderr.contains("not a quantized checkpoint"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/f"))
    }
}
