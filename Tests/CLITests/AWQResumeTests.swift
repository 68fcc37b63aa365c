import Foundation
import TestSupport
import Testing

/// `quantize --method awq --resume` after SIGKILL at staggered points (right after a layer is
/// written, in the middle of a layer's search, during the final assembly) gives output
/// byte-identical to an uninterrupted run.
@Suite(.serialized) struct AWQResumeTests {
    static func args(_ model: String, _ out: String) -> [String] {
        ["quantize", model, "-o", out, "--scheme", "int4", "-g", "32", "--method", "awq",
         "--calibration", TestFiles.golden("calibration/random-ids-4096.txt"),
         "--calibration-tokens", "256", "--sequence-length", "64", "--threads", "2"]
    }

    static func finishedLayers(_ runFolder: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: runFolder)) ?? []).filter { $0.hasPrefix("layer-") }.count
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func sigkilledRunsResumeToTheUninterruptedBytes() throws {
        let dir = TestFiles.tempDir("resume")
        let model = dir + "/tiny-deep"
        #expect(try CLIRunner.run(["synthesize", "--preset", "tiny-deep", "-o", model]).status == 0)
        let reference = try CLIRunner.run(Self.args(model, dir + "/ref"))
        #expect(reference.status == 0, "\(reference.stderr)")

        let out = dir + "/q", runFolder = out + ".awq-run"
        // (layers finished before the kill, extra delay): 1 layer then at once; inside layer 3's
        // search; once every layer is done (the assembly).
        var kills = 0
        var finishedAlone = false
        for (i, point) in [(1, 0.0), (2, 0.12), (6, 0.0)].enumerated() {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
            p.arguments = Self.args(model, out) + (i == 0 ? [] : ["--resume"])
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            var waited = 0.0
            while p.isRunning && Self.finishedLayers(runFolder) < point.0 && waited < 300 { usleep(5_000); waited += 0.005 }
            if point.1 > 0 { usleep(UInt32(point.1 * 1e6)) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            if p.terminationReason == .exit {
                #expect(p.terminationStatus == 0)
                finishedAlone = true
                break
            }
        }
        #expect(kills >= 2, "the runs ended before they could be killed; the test needs a longer job")
        if !finishedAlone {
            let resumed = try CLIRunner.run(Self.args(model, out) + ["--resume"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stderr.contains("resuming an interrupted AWQ run"), "\(resumed.stderr)")
        }
        for name in ["model.safetensors", "quantization.json"] {
            #expect(try Self.bytes(out + "/" + name) == (try Self.bytes(dir + "/ref/" + name)), "\(name) differs from the uninterrupted run")
        }
        #expect(!FileManager.default.fileExists(atPath: runFolder))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(left == ["q", "ref", "tiny-deep"], "\(left)")
    }

    @Test func resumeIsRefusedWhenTheCalibrationDiffers() throws {
        let dir = TestFiles.tempDir("resume2")
        let model = dir + "/tiny-deep"
        #expect(try CLIRunner.run(["synthesize", "--preset", "tiny-deep", "-o", model]).status == 0)
        try FileManager.default.createDirectory(atPath: dir + "/q.awq-run", withIntermediateDirectories: true)
        Expect.refused(try CLIRunner.run(Self.args(model, dir + "/q")), "an interrupted AWQ run for this output is here; pass --resume")
        Expect.refused(try CLIRunner.run(Self.args(model, dir + "/q") + ["--resume"]), "cannot resume: it has no run.json")
        try FileManager.default.removeItem(atPath: dir + "/q.awq-run")
        // A real run interrupted after its record was written, then resumed with other data.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        p.arguments = Self.args(model, dir + "/q")
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        while p.isRunning && !FileManager.default.fileExists(atPath: dir + "/q.awq-run/run.json") { usleep(5_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        var other = Self.args(model, dir + "/q") + ["--resume"]
        other[other.firstIndex(of: "256")!] = "128"
        Expect.refused(try CLIRunner.run(other), "cannot resume: the calibration differs")
        Expect.refused(try CLIRunner.run(["quantize", model, "-o", dir + "/r", "--scheme", "int8", "--resume"]), "--resume applies to --method awq only")
    }
}

/// AWQ's memory does not grow with depth: the same widths with 2 and with 10 decoder layers
/// peak within a quarter of 8 layers' f32 weights of each other (wait4's peak RSS). Holding
/// every layer's rewritten weights, as the in-memory search does, adds all eight.
@Suite(.serialized) struct AWQMemoryTests {
    @Test func peakMemoryDoesNotGrowWithTheNumberOfLayers() throws {
        let dir = TestFiles.tempDir("awqrss")
        var peaks: [Int: Int] = [:]
        for layers in [2, 10] {
            let model = dir + "/m\(layers)"
            #expect(try CLIRunner.run(["synthesize", "--preset", "small", "--llm-layers", "\(layers)", "-o", model]).status == 0)
            let r = try CLIRunner.run(["quantize", model, "-o", dir + "/q\(layers)", "--scheme", "int4", "-g", "32", "--method", "awq",
                                       "--calibration", TestFiles.golden("calibration/random-ids-4096.txt"),
                                       "--calibration-tokens", "64", "--sequence-length", "64", "--threads", "2"])
            #expect(r.status == 0, "\(r.stderr)")
            peaks[layers] = r.maxRSSKiB * 1024
        }
        // The small preset's decoder layer: hidden 512, 8 heads / 4 KV heads of 64, MLP 1376.
        let layerF32 = (512 * 512 * 2 + 2 * 256 * 512 + 3 * 512 * 1376 + 2 * 512) * 4
        let growth = peaks[10]! - peaks[2]!
        #expect(growth < 8 * layerF32 / 4, "peak RSS grew by \(growth) B from 2 to 10 layers (\(peaks[2]!) → \(peaks[10]!); 8 layers in f32: \(8 * layerF32) B)")
    }
}
