import Foundation
import Testing
import TestSupport

/// Killing vlmkit (SIGKILL) at random points while it writes never leaves a partial file under the
/// target name: the target holds nothing, or the previous complete file, or the new complete file.
@Suite(.serialized) struct CrashSafetyTests {
    @Test func sigkillDuringExportNeverLeavesAPartialBundle() throws {
        let dir = TestFiles.tempDir("kill")
        let model = dir + "/tiny"
        let synth = try CLIRunner.run(["synthesize", "--preset", "tiny", "-o", model])
        #expect(synth.status == 0, "\(synth.stderr)")
        let target = dir + "/m.vlmb"
        // A previous complete bundle at the target.
        #expect(try CLIRunner.run(["export", TestFiles.golden("models/vila-clip-linear-f16"), "-o", target]).status == 0)
        let previous = try Data(contentsOf: URL(fileURLWithPath: target))
        var sawNew = false, sawOld = false
        for attempt in 0..<12 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
            p.arguments = ["export", model, "-o", target, "--zstd", "1"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(attempt * 15_000 + Int.random(in: 0..<10_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let now = try Data(contentsOf: URL(fileURLWithPath: target))
            if now == previous {
                sawOld = true
            } else {
                let check = try CLIRunner.run(["verify-bundle", target, "--full"])
                #expect(check.status == 0, "attempt \(attempt): target is not a complete bundle: \(check.stderr)")
                sawNew = true
            }
        }
        #expect(sawOld || sawNew)
    }
}

/// Interrupts of long commands on the synthesized `small` model.
@Suite(.serialized) struct InterruptTests {
    /// Synthesizes the model in a fresh folder and starts `vlmkit ARGS` (built from the folder
    /// and the model path) in the background, stderr captured.
    static func start(_ tag: String, _ args: (_ dir: String, _ model: String) -> [String]) throws -> (Process, Pipe, String) {
        let dir = TestFiles.tempDir(tag)
        let model = dir + "/small"
        #expect(try CLIRunner.run(["synthesize", "--preset", "small", "-o", model]).status == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        p.arguments = args(dir, model)
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        return (p, err, dir)
    }

    static func leftBehind(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "small" }
    }

    /// Ctrl-C (SIGINT) during a long write exits promptly with 130 and removes the temporary file.
    @Test func sigintRemovesTemporaryFiles() throws {
        let (p, err, dir) = try Self.start("int") { dir, model in ["export", model, "-o", dir + "/m.vlmb", "--zstd", "19"] }
        usleep(500_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("interrupted; temporary files removed"))
        #expect(try Self.leftBehind(dir).isEmpty)
    }

    /// SIGTERM while AWQ's workers are busy ends the process promptly (exit 143) and leaves no
    /// output: the clean-up does not wait for the computation to finish.
    @Test func sigtermStopsABusyAWQSearch() throws {
        let (p, _, dir) = try Self.start("term") { dir, model in
            ["quantize", model, "-o", dir + "/q", "--scheme", "int4", "-g", "32", "--method", "awq",
             "--calibration", TestFiles.golden("calibration/random-ids-4096.txt"), "--threads", "2"]
        }
        usleep(2_500_000)  // well inside the search (it takes ~20 s on this model)
        #expect(p.isRunning, "AWQ finished before the signal; the test needs a longer job")
        kill(p.processIdentifier, SIGTERM)
        var waited = 0
        while p.isRunning && waited < 100 { usleep(100_000); waited += 1 }
        let stillRunning = p.isRunning
        if stillRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(!stillRunning, "still running 10 s after SIGTERM")
        #expect(p.terminationStatus == 143)
        // No output and no temporary file; the run folder stays, for --resume, holding only
        // the run record and complete files.
        #expect(try Self.leftBehind(dir) == ["q.awq-run"])
        let kept = try FileManager.default.contentsOfDirectory(atPath: dir + "/q.awq-run")
        #expect(kept.contains("run.json") && kept.allSatisfy { !$0.hasPrefix(".") }, "\(kept)")
    }
}
