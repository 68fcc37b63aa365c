import Foundation
import Testing
import TestSupport

@Suite struct TokenizeCommandTests {
    @Test func encodesAndDecodesWithEitherTokenizer() throws {
        let bl = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-clip-linear-f16"), "--text", "What is in this image?"])
        #expect(bl.status == 0 && bl.stdout == "1 332 324 279 294 384 327 269 34\n")
        let sp = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-siglip-downsample-f32"), "--text", "What is in this image?", "--no-special"])
        #expect(sp.stdout == "322 318 275 287 396 267 286 320 420\n")
        let back = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-siglip-downsample-f32"), "--decode", "322 318 275 287 396 267 286 320 420"])
        #expect(back.stdout == "What is in this image?\n")
        let bad = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-clip-linear-f16")])
        #expect(bad.status == 2)
    }
}
