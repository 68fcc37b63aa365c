import Foundation
import Testing
import TestSupport

@Suite struct RunVerifyCommandTests {
    let model = TestFiles.golden("models/vila-clip-mlp2x-bf16-sharded")
    let golden = TestFiles.golden("cases/vila-clip-mlp2x-bf16-sharded.golden.safetensors")

    @Test func verifyPassesWithExitZeroAndPrintsEveryStage() throws {
        let r = try CLIRunner.run(["verify", model, "--golden", golden])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for stage in ["vision", "projector", "logits", "generated"] { #expect(r.stdout.contains(stage)) }
        #expect(r.stdout.hasSuffix("PASSED\n"))
    }

    @Test func verifyJSONReportsMetricsPerStage() throws {
        let r = try CLIRunner.run(["verify", model, "--golden", golden, "--json"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let stages = obj["stages"] as! [[String: Any]]
        #expect(stages.map { $0["stage"] as! String } == ["vision", "projector", "logits", "generated"])
        let logits = stages[2]["metrics"] as! [String: Any]
        #expect((logits["max_rel_error"] as! Double) < 1e-4)
        #expect(logits["top1_agreement"] as? Double == 1)
    }

    @Test func verifyOutOfToleranceExitsOne() throws {
        // A tolerance no float computation meets.
        let r = try CLIRunner.run(["verify", model, "--golden", golden, "--max-rel", "0"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAILED: first divergence at stage 'vision'"))
    }

    @Test func verifyOfAPerturbedProjectorExitsOneNamingTheProjector() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.perturbF16(dir + "/mm_projector/model.safetensors", tensor: "layers.weight", index: 7, delta: 0.25)
        let r = try CLIRunner.run(["verify", dir, "--golden", TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAILED: first divergence at stage 'projector'"))
    }

    @Test func verifyRejectsFilesThatAreNotGoldenWithExitTwo() throws {
        let r = try CLIRunner.run(["verify", model, "--golden", model + "/mm_projector/model.safetensors"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("not a golden file (__metadata__ format is \"pt\", expected \"vlmkit-golden\")"))
        let missing = try CLIRunner.run(["verify", model, "--golden", "/nonexistent.safetensors"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent.safetensors: cannot open"))
    }

    @Test func runDumpsEveryStageIdenticallyForAnyThreadCount() throws {
        let dir = TestFiles.tempDir("run")
        var dumps: [Data] = []
        for threads in ["1", "2"] {
            let out = dir + "/out\(threads).safetensors"
            let r = try CLIRunner.run(["run", model, "--inputs", golden, "--dump", out, "--max-new-tokens", "4", "--threads", threads])
            #expect(r.status == 0, "\(r.stderr)")
            dumps.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(dumps[0] == dumps[1])
        let header = String(decoding: dumps[0].prefix(600), as: UTF8.self)
        for key in ["\"vision_features\"", "\"projected\"", "\"logits\"", "\"generated_ids\"", "[2,16,32]", "[2,16,64]", "[39,512]", "[4]"] {
            #expect(header.contains(key), "\(key)")
        }
    }
}

@Suite struct NonFiniteWeightTests {
    @Test func nanWeightIsNamedUnlessAllowed() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.perturbF16(dir + "/mm_projector/model.safetensors", tensor: "layers.weight", index: 3, delta: .nan)
        let golden = TestFiles.golden("cases/vila-clip-linear-f16.golden.safetensors")
        let r = try CLIRunner.run(["verify", dir, "--golden", golden])
        #expect(r.status == 2)
        #expect(r.stderr.contains("tensor 'layers.weight' holds nan at element 3"), "\(r.stderr)")
        let allowed = try CLIRunner.run(["verify", dir, "--golden", golden, "--allow-nonfinite"])
        #expect(allowed.status == 1 && allowed.stdout.contains("first divergence at stage 'projector'"))
    }
}
