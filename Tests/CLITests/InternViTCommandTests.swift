import Foundation
import TestSupport
import Testing

/// VILA1.5-40B's tower, InternViT, in miniature (golden/intern_vit.py transcribes VILA's module):
/// inspect, verify against PyTorch, a float bundle, and int8 with the vision tower quantized too —
/// its fused qkv as one Linear.
@Suite struct InternViTCommandTests {
    static let name = "vila-intern-llama-f16"
    static let model = TestFiles.golden("models/" + name)

    @Test func inspectSaysInternViT() throws {
        let r = try CLIRunner.run(["inspect", Self.model])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("vision tower    Intern ViT: 28 px, patch 7 (4×4 grid), hidden 32, MLP 64, 3 layers, 2 heads, gelu"))
        #expect(r.stdout.contains("patch → 16 tokens"))
        let j = try JSONSerialization.jsonObject(with: Data(try CLIRunner.run(["inspect", Self.model, "--json"]).stdout.utf8)) as! [String: Any]
        #expect((j["vision"] as! [String: Any])["kind"] as? String == "intern")
    }

    /// Measured: float 4.2e-7 max rel (vision), 7.9e-7 (logits). int8 with the vision tower
    /// quantized: logits max rel 3.0e-2, KL 2.4e-4, top-1 11/13; the bounds are about 2× that.
    @Test func verifiesFloatAndInt8WithTheTowerQuantized() throws {
        try Qwen2CommandTests.bundleAndInt8Verify(model: Self.name,
                                                  tolerances: ["--max-rel", "0.06", "--max-kld", "5e-4", "--min-top1", "0.75"],
                                                  quantizeArgs: ["--scheme-for", "vision.*=int8"])
        let dir = TestFiles.tempDir("iq")
        let q = try CLIRunner.run(["quantize", Self.model, "-o", dir + "/q", "--scheme", "int8", "--scheme-for", "vision.*=int8", "--json"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("vision.layers.0.attn.qkv.weight"), "the fused qkv is one quantized Linear")
    }
}
