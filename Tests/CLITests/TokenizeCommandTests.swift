import Foundation
import Testing
import TestSupport

@Suite struct TokenizeCommandTests {
    @Test func encodesAndDecodesWithEitherTokenizer() throws {
        let bl = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-clip-linear-f16"), "--text", "What is in this image?"])
        #expect(bl.status == 0 && bl.stdout == "1 332 324 279 294 384 327 269 34\n")
        let sp = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-siglip-downsample-f32"), "--text", "What is in this image?", "--no-special"])
        #expect(sp.stdout == "322 318 275 287 396 267 286 320 420\n")
        let back = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-siglip-downsample-f32"), "--decode", "322", "318 275", "287,396", "267", "286", "320", "420"])
        #expect(back.stdout == "What is in this image?\n")
        let bad = try CLIRunner.run(["tokenize", TestFiles.golden("models/vila-clip-linear-f16")])
        #expect(bad.status == 2)
    }

    @Test func positionalTextNoBOSAndJSON() throws {
        let model = TestFiles.golden("models/vila-clip-linear-f16")
        let plain = try CLIRunner.run(["tokenize", model, "What", "is", "in", "this", "image?"])
        #expect(plain.stdout == "1 332 324 279 294 384 327 269 34\n")
        let noBOS = try CLIRunner.run(["tokenize", model, "What is in this image?", "--no-bos"])
        #expect(noBOS.stdout == "332 324 279 294 384 327 269 34\n")
        let json = try CLIRunner.run(["tokenize", model, "What is", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(object["ids"] as? [Int] == [1, 332, 324])
        #expect(object["pieces"] as? [String] == ["<|begin_of_text|>", "What", "Ġis"])
        let bad = try CLIRunner.run(["tokenize", model, "--decode", "12", "x"])
        #expect(bad.status == 2 && bad.stderr.contains("'x' is not a token id"))
    }
}
