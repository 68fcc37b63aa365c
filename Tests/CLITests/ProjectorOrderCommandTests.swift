import Foundation
import Testing
import TestSupport

/// `--projector-order` through the commands: inspect says which order is used and why, verify
/// passes the NVILA-order golden only with it, and quantize/export carry it into what they write.
@Suite struct ProjectorOrderCommandTests {
    let model = TestFiles.golden("models/vila-siglip-downsample-f32")
    let golden = TestFiles.golden("cases/vila-siglip-downsample-f32.nvila-order.golden.safetensors")

    func mergeOrder(_ path: String, _ extra: [String] = []) throws -> String? {
        let r = try CLIRunner.run(["inspect", path, "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return (j["projector"] as! [String: Any])["merge_order"] as? String
    }

    @Test func inspectNamesTheOrderAndItsReason() throws {
        let text = try CLIRunner.run(["inspect", model])
        #expect(text.stdout.contains("2×2 merge, tokens column-major (VILA 1.5 flat_square) — config.json has no field of the NVILA release"))
        let nvila = try CLIRunner.run(["inspect", TestFiles.golden("models/nvila-siglip-3x3-qwen2-f16")])
        #expect(nvila.stdout.contains("3×3 merge, tokens row-major (NVILA flat_square) — mm_projector_type mlp_downsample_3x3_fix exists only since the NVILA release"))
        #expect(try mergeOrder(model, ["--projector-order", "nvila"]) == "nvila")
        let bad = try CLIRunner.run(["inspect", model, "--projector-order", "rows"])
        #expect(bad.status != 0 && bad.stderr.contains("vila1.5") && bad.stderr.contains("nvila"))
    }

    @Test func verifyQuantizeAndExportKeepTheOverride() throws {
        #expect(try CLIRunner.run(["verify", model, "--golden", golden]).status == 1)
        let ok = try CLIRunner.run(["verify", model, "--golden", golden, "--projector-order", "nvila"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")

        let dir = TestFiles.tempDir("porder")
        let q = try CLIRunner.run(["quantize", model, "-o", dir + "/q8", "--scheme", "int8", "--projector-order", "nvila"])
        #expect(q.status == 0, "\(q.stderr)")
        let stored = try String(contentsOfFile: dir + "/q8/config/vlmkit-overrides.json", encoding: .utf8)
        #expect(stored.contains(#""projector_order":"nvila""#) || stored.contains(#""projector_order": "nvila""#))
        #expect(try mergeOrder(dir + "/q8") == "nvila")
        let b = try CLIRunner.run(["export", dir + "/q8", "-o", dir + "/m.vlmb"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try mergeOrder(dir + "/m.vlmb") == "nvila")
        // The command line still wins over the stored file.
        #expect(try mergeOrder(dir + "/m.vlmb", ["--projector-order", "vila1.5"]) == "vila1.5")
        let plain = try CLIRunner.run(["export", model, "-o", dir + "/f.vlmb"])
        #expect(plain.status == 0)
        #expect(try mergeOrder(dir + "/f.vlmb") == "vila1.5")
    }
}
