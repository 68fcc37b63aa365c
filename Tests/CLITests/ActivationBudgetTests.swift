import Foundation
import Testing
import TestSupport

/// The error budget of rounding activations to int8 (formats/quantization.md, "Execution"), held on
/// two goldens against PyTorch: int4 layers stay within 5 % of the exact path's KL, int8 layers
/// within 3×; `auto` (the default) is int8 activations for int4 and exact for int8; `--exact` is
/// the float path.
@Suite struct ActivationBudgetTests {
    static let cases = ["vila-clip-linear-f16", "vila-siglip-downsample-f32"]

    static func logits(_ model: String, _ golden: String, _ extra: [String]) throws -> (kl: Double, top1: Double) {
        let r = try CLIRunner.run(["verify", model, "--golden", golden, "--json", "--max-rel", "1e9", "--max-kl", "1e9",
                                   "--min-top1", "0", "--ignore-generated"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let stage = (o["stages"] as! [[String: Any]]).first { $0["stage"] as? String == "logits" }!
        let m = stage["metrics"] as! [String: Any]
        return (m["mean_kl"] as! Double, m["top1_agreement"] as! Double)
    }

    @Test(arguments: cases)
    func roundingActivationsStaysWithinTheBudget(_ name: String) throws {
        let golden = TestFiles.golden("cases/\(name).golden.safetensors")
        for (scheme, budget) in [(["--scheme", "int4", "-g", "32"], 1.05), (["--scheme", "int8"], 3.0)] {
            let q = TestFiles.tempDir("act") + "/q"
            #expect(try CLIRunner.run(["quantize", TestFiles.golden("models/" + name), "-o", q] + scheme).status == 0)
            let exact = try Self.logits(q, golden, ["--exact"])
            let float = try Self.logits(q, golden, ["--activations", "float"])
            let int8 = try Self.logits(q, golden, ["--activations", "int8"])
            let auto = try Self.logits(q, golden, ["--activations", "auto"])
            let plain = try Self.logits(q, golden, [])
            #expect(plain.kl == auto.kl, "the default is auto")
            #expect(exact.kl == float.kl)
            #expect(int8.kl != exact.kl, "\(name) \(scheme): the int8 path must differ from the exact one")
            #expect(int8.kl <= budget * exact.kl, "\(name) \(scheme): KL \(int8.kl) vs exact \(exact.kl)")
            #expect(int8.top1 >= exact.top1 - 0.1, "\(name) \(scheme): top-1 \(int8.top1) vs exact \(exact.top1)")
            #expect(auto.kl == (scheme[1] == "int4" ? int8.kl : exact.kl), "\(name) \(scheme): auto")
        }
    }

    @Test func exactAndAnotherPrecisionAreRefusedTogether() throws {
        let r = try CLIRunner.run(["verify", TestFiles.golden("models/vila-clip-linear-f16"), "--golden",
                                   TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors"), "--exact", "--activations", "int8"])
        Expect.refused(r, "--exact means --activations float")
    }
}
