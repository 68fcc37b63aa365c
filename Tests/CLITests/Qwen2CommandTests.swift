import Foundation
import Testing
import TestSupport

/// NVILA's language model (Qwen2: q/k/v biases, GQA, rope θ 1e6) through the commands a user
/// runs: quantize, verify the quantized model and its bundle against PyTorch's golden, and AWQ
/// (not built for biases yet) refused with the reason. GGUF: Tests/GGUFTests/Qwen2GGUFTests.swift.
@Suite struct Qwen2CommandTests {
    let model = TestFiles.golden("models/vila-siglip-qwen2-f16")
    let golden = TestFiles.golden("cases/vila-siglip-qwen2-f16.golden.safetensors")

    /// int8 RTN with the biases kept float, in the folder and in its bundle alike: about 2× what it
    /// measures here (logits max rel 3.6e-2, KL 2.6e-5, top-1 30/31; 0.9 allows 3 of 31 misses).
    @Test func quantizedQwen2VerifiesFromTheFolderAndTheBundle() throws {
        let dir = TestFiles.tempDir("qwen2")
        let q = try CLIRunner.run(["quantize", model, "-o", dir + "/q8", "--scheme", "int8"])
        #expect(q.status == 0, "\(q.stderr)")
        let e = try CLIRunner.run(["export", dir + "/q8", "-o", dir + "/q8.vlmb"])
        #expect(e.status == 0, "\(e.stderr)")
        for path in [dir + "/q8", dir + "/q8.vlmb"] {
            let v = try CLIRunner.run(["verify", path, "--golden", golden, "--max-rel", "0.075", "--max-kld", "5.5e-5", "--min-top1", "0.9"])
            #expect(v.status == 0, "\(path): \(v.stdout)")
        }
    }

    @Test func awqIsRefusedWithTheReason() throws {
        let dir = TestFiles.tempDir("qwen2")
        let awq = try CLIRunner.run(["quantize", model, "-o", dir + "/a", "--scheme", "int4", "-g", "32", "--method", "awq",
                                     "--calibration", TestFiles.golden("calibration/random-ids-4096.txt")])
        #expect(awq.status == 2 && awq.stderr.contains("the qwen2 language model has Linear biases"), "\(awq.stderr)")
        #expect(awq.stderr.contains("--method rtn"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/a"))
    }
}
