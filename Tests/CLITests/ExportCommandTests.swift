import Foundation
import Testing
import TestSupport

@Suite struct ExportCommandTests {
    @Test func exportVerifyBundleAndRunFromTheBundle() throws {
        let dir = TestFiles.tempDir("exp")
        let model = TestFiles.golden("models/vila-siglip-downsample-f32")
        let golden = TestFiles.golden("cases/vila-siglip-downsample-f32.golden.safetensors")
        let e = try CLIRunner.run(["export", model, "-o", dir + "/m.vlmb", "--zstd", "3"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("blobs zstd-compressed"))
        let vb = try CLIRunner.run(["verify-bundle", dir + "/m.vlmb", "--full"])
        #expect(vb.status == 0 && vb.stdout.contains("OK"))
        let v = try CLIRunner.run(["verify", dir + "/m.vlmb", "--golden", golden])
        #expect(v.status == 0, "\(v.stdout)")
        let i = try CLIRunner.run(["inspect", dir + "/m.vlmb"])
        #expect(i.status == 0 && i.stdout.contains("device bundle, checkpoint") && i.stdout.contains("9 image tokens per image"))
    }

    @Test func corruptBundleFailsTheFullCheckWithExitTwo() throws {
        let dir = TestFiles.tempDir("exp")
        let path = dir + "/m.vlmb"
        let e = try CLIRunner.run(["export", TestFiles.golden("models/vila-clip-linear-f16"), "-o", path])
        #expect(e.status == 0)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[4096] ^= 0xFF   // inside some blob
        try data.write(to: URL(fileURLWithPath: path))
        #expect(try CLIRunner.run(["verify-bundle", path]).status == 0)
        let full = try CLIRunner.run(["verify-bundle", path, "--full"])
        #expect(full.status == 2)
        #expect(full.stderr.contains("checksum mismatch (corrupted)") && full.stderr.contains("blob '"))
        let notBundle = try CLIRunner.run(["verify-bundle", TestFiles.golden("models/vila-clip-linear-f16/config.json")])
        #expect(notBundle.status == 2 && notBundle.stderr.contains("not a VLMKit bundle"))
    }
}

@Suite struct OverwriteInputTests {
    @Test func exportRefusesToWriteIntoItsInput() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        let r = try CLIRunner.run(["export", dir, "-o", dir + "/llm/model.safetensors"])
        #expect(r.status == 2 && r.stderr.contains("that would overwrite the input"))
        let g = try CLIRunner.run(["export", dir, "--format", "gguf", "-o", dir + "/llm.gguf"])
        #expect(g.status == 2 && g.stderr.contains("that would overwrite the input"))
    }
}
