import Foundation
import TestSupport
import Testing

/// Writes that fail part-way (a full disk gives ENOSPC; a file size limit, which a test can set
/// without root, gives EFBIG through the same code path) end with one error line, exit 2 and no
/// partial output or temporary file left behind.
@Suite struct WriteFailureTests {
    /// Runs vlmkit under `ulimit -f KB`.
    func limited(_ kb: Int, _ args: [String]) throws -> CLIRunner.Result {
        try CLIRunner.runShell("ulimit -f \(kb); exec \"$0\" \"$@\"", args)
    }

    @Test(arguments: [["export", "--format", "bundle"], ["export", "--format", "gguf", "--type", "f32"]])
    func exportUnderASizeLimit(_ kind: [String]) throws {
        let dir = TestFiles.tempDir()
        let out = dir + "/out"
        let r = try limited(64, [kind[0], TestFiles.golden("models/vila-clip-linear-f16"), "-o", out] + kind.dropFirst())
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("partial output was removed"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func quantizeUnderASizeLimit() throws {
        let dir = TestFiles.tempDir()
        let r = try limited(64, ["quantize", TestFiles.golden("models/vila-clip-linear-f16"), "-o", dir + "/q", "--scheme", "int8"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("partial output was removed"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
