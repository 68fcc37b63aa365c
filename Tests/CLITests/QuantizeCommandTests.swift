import Foundation
import Testing
import TestSupport

@Suite struct QuantizeCommandTests {
    let model = TestFiles.golden("models/vila-clip-linear-f16")
    let golden = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")

    @Test func quantizeThenVerifyWithQuantizationTolerancesAndReport() throws {
        let dir = TestFiles.tempDir("qcli")
        let q = try CLIRunner.run(["quantize", model, "-o", dir + "/q8", "--scheme", "int8"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("14 tensors quantized (mean NMSE "))
        #expect(q.stdout.contains("62 kept float"))
        #expect(q.stdout.contains("llm.layers.1.mlp.down.weight"))
        // Float tolerances fail on a quantized model …
        let strict = try CLIRunner.run(["verify", dir + "/q8", "--golden", golden])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("first divergence at stage 'logits'"))
        // … quantization tolerances pass (about 2× what int8 achieves here: max rel 1.45e-2, KL 5.2e-5,
        // top-1 21/22; 0.9 allows 2 of 22 misses), and the report names every quantized tensor.
        let ok = try CLIRunner.run(["verify", dir + "/q8", "--golden", golden, "--max-rel", "0.03", "--max-kld", "1.1e-4",
                                    "--min-top1", "0.9", "--report", dir + "/report.json"])
        #expect(ok.status == 0, "\(ok.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))) as! [String: Any]
        let tensors = (report["quantization"] as! [String: Any])["tensors"] as! [[String: Any]]
        #expect(tensors.filter { $0["storage"] as? String == "int8" }.count == 14)
        #expect(tensors.allSatisfy { $0["storage"] as? String != "int8" || ($0["nmse"] as? Double ?? 1) < 1e-3 })
        let stages = (report["verification"] as! [String: Any])["stages"] as! [[String: Any]]
        #expect(stages.count == 4)
    }

    @Test func quantizeErrorsExitTwo() throws {
        let dir = TestFiles.tempDir("qcli")
        let badGroup = try CLIRunner.run(["quantize", model, "-o", dir + "/q", "--scheme", "int4", "-g", "128"])
        #expect(badGroup.status == 2)
        #expect(badGroup.stderr.contains("is not a multiple of the group size 128"))
        let exists = try CLIRunner.run(["quantize", model, "-o", dir, "--scheme", "int8"])
        #expect(exists.status == 2 && exists.stderr.contains("already exists"))
        let noCalibration = try CLIRunner.run(["quantize", model, "-o", dir + "/a", "--scheme", "int4", "-g", "32", "--method", "awq"])
        #expect(noCalibration.status == 2 && noCalibration.stderr.contains("--method awq needs --calibration"))
        let badRule = try CLIRunner.run(["quantize", model, "-o", dir + "/b", "--scheme", "int8", "--scheme-for", "vision.*"])
        #expect(badRule.status == 2 && badRule.stderr.contains("--scheme-for expects PATTERN=SCHEME"))
    }

    @Test func schemeRulesReachTheVisionTower() throws {
        let dir = TestFiles.tempDir("qcli")
        let r = try CLIRunner.run(["quantize", model, "-o", dir + "/q", "--scheme", "int4", "-g", "32", "--scheme-for", "vision.*=int8",
                                   "--keep", "llm.layers.0.*", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let tensors = obj["tensors"] as! [[String: Any]]
        func storage(_ slot: String) -> String? { tensors.first { $0["slot"] as? String == slot }?["storage"] as? String }
        #expect(storage("vision.layers.0.attn.q.weight") == "int8")
        #expect(storage("llm.layers.0.attn.q.weight") == "f16")
        #expect(storage("llm.layers.1.attn.q.weight") == "int4-g32")
        #expect(storage("projector.linear.weight") == "f16")
    }

    @Test func awqCalibratesOnPlainTextThroughTheModelsTokenizer() throws {
        let dir = TestFiles.tempDir("qcli")
        let text = String(repeating: "A photo of a small boat on a calm lake at sunset. What is in this image? ", count: 40)
        try text.write(toFile: dir + "/calib.txt", atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["quantize", model, "-o", dir + "/awq", "--scheme", "int4", "-g", "32", "--method", "awq",
                                   "--calibration", dir + "/calib.txt", "--sequence-length", "128"])
        #expect(r.status == 0, "\(r.stderr)")
        let n = try CLIRunner.run(["tokenize", model, "--text", text, "--no-special"]).stdout.split(separator: " ").count
        #expect(r.stdout.contains("awq: \(n) calibration tokens"))
    }

    @Test func awqFromTheCommandLineAndPerplexity() throws {
        let dir = TestFiles.tempDir("qcli")
        let calibration = TestFiles.golden("calibration/random-ids-4096.txt")
        let r = try CLIRunner.run(["quantize", model, "-o", dir + "/awq", "--scheme", "int4", "-g", "32", "--method", "awq",
                                   "--calibration", calibration, "--calibration-tokens", "512", "--sequence-length", "128"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("awq: 512 calibration tokens"))
        let pf = try CLIRunner.run(["eval-ppl", model, "--ids", calibration, "--context", "128", "--max-tokens", "512", "--json"])
        let pq = try CLIRunner.run(["eval-ppl", dir + "/awq", "--ids", calibration, "--context", "128", "--max-tokens", "512", "--json"])
        #expect(pf.status == 0 && pq.status == 0, "\(pf.stderr) \(pq.stderr)")
        let f = try JSONSerialization.jsonObject(with: Data(pf.stdout.utf8)) as! [String: Any]
        let q = try JSONSerialization.jsonObject(with: Data(pq.stdout.utf8)) as! [String: Any]
        #expect(f["tokens"] as? Int == 4 * 127)
        let fp = f["perplexity"] as! Double, qp = q["perplexity"] as! Double
        #expect(fp.isFinite && fp > 1 && qp.isFinite && qp != fp)
        let bad = try CLIRunner.run(["eval-ppl", model, "--ids", model + "/config.json"])
        #expect(bad.status == 2 && bad.stderr.contains("is not a token id"))
        // Plain text goes through the model's own tokenizer.
        try "What is in this image? A cat on a red sofa.\n".write(toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
        let pt = try CLIRunner.run(["eval-ppl", model, "--text", dir + "/t.txt", "--json"])
        #expect(pt.status == 0, "\(pt.stderr)")
        let t = try JSONSerialization.jsonObject(with: Data(pt.stdout.utf8)) as! [String: Any]
        let ids = try CLIRunner.run(["tokenize", model, "--text", "What is in this image? A cat on a red sofa.\n", "--no-special"])
        let n = ids.stdout.split(separator: " ").count
        #expect(n > 5 && t["tokens"] as? Int == n - 1)
    }
}
