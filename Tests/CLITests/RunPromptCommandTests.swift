import Foundation
import TensorIO
import TestSupport
import Testing

/// `vlmkit run --image --prompt`, `--interactive` and `vlmkit preprocess` through the binary,
/// against the end-to-end goldens computed by PyTorch (golden/e2e.py).
@Suite struct RunPromptCommandTests {
    static func golden(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: TestFiles.golden("e2e/\(name).golden.safetensors"))
    }

    static func args(_ g: SafetensorsFile) throws -> [String] {
        let m = g.metadata
        let images = try JSONParser.parse(m["images"]!).arrayValue!.flatMap { ["--image", TestFiles.golden($0.stringValue!)] }
        return ["run", TestFiles.golden(m["model"]!)] + images + ["--prompt", m["prompt"]!, "--template", m["template"]!,
                "--image-aspect-ratio", m["image_aspect_ratio"]!, "--max-new-tokens", m["max_new_tokens"]!]
    }

    @Test func streamsTheGoldenAnswer() throws {
        let g = try Self.golden("siglip-vicuna-two-images")
        let r = try CLIRunner.run(try Self.args(g))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == g.metadata["text"]! + "\n")
        #expect(r.stderr.contains("vision: 2 image(s)") && r.stderr.contains("prefill:") && r.stderr.contains("tok/s"))
    }

    @Test func jsonCarriesIdsTextAndTiming() throws {
        let g = try Self.golden("clip-linear-llama3-template")
        let r = try CLIRunner.run(try Self.args(g) + ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(o["generated_ids"] as? [Int] == (try g.int64("expected.generated_ids").values.map(Int.init)))
        #expect(o["prompt_ids"] as? [Int] == (try g.int64("input.token_ids").values.map(Int.init)))
        #expect((o["text"] as? String).map(NoTokenPlaceholders.removed) == g.metadata["text"])
        #expect(o["template"] as? String == "llama_3")
        #expect((o["prefill_seconds"] as? Double ?? -1) >= 0)
    }

    @Test func samplingIsReproducibleBySeed() throws {
        let model = TestFiles.golden("models/vila-clip-linear-f16")
        let base = ["run", model, "--prompt", "Hello there", "--max-new-tokens", "10", "--temperature", "1.0", "--top-p", "0.9", "--json"]
        let a = try CLIRunner.run(base + ["--seed", "7"]), b = try CLIRunner.run(base + ["--seed", "7", "--threads", "1"])
        #expect(a.status == 0)
        func ids(_ r: CLIRunner.Result) -> [Int] { ((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any])?["generated_ids"] as? [Int] ?? [] }
        #expect(ids(a) == ids(b) && ids(a).count == 10)
    }

    @Test func interactiveKeepsTheConversation() throws {
        let model = TestFiles.golden("models/vila-clip-linear-f16")
        let image = TestFiles.golden("images/files/scene-97x61.jpg")
        let r = try CLIRunner.run(["run", model, "--interactive", "--max-new-tokens", "4"],
                                  stdin: "/image \(image)\nWhat is this?\nAnd now?\n/image /no/such.png\nBroken\nLast one\n/exit\n")
        #expect(r.status == 0, "\(r.stderr)")
        // Three answers (the broken image is an error for that question only), the cache growing.
        let contexts = r.stderr.split(separator: "\n").filter { $0.contains("| context ") }
        #expect(contexts.count == 3)
        #expect(r.stderr.contains("vision: 1 image(s)"))
        #expect(r.stderr.contains("/no/such.png"))
        let lengths = contexts.compactMap { line in line.split(separator: " ").last.flatMap { Int($0.split(separator: "/").first!) } }
        #expect(lengths == lengths.sorted() && Set(lengths).count == 3)
    }

    @Test func preprocessWritesTheGoldenPixels() throws {
        let g = try Self.golden("clip-mlp2x-pad-vicuna")
        let m = g.metadata
        let images = try JSONParser.parse(m["images"]!).arrayValue!.map { TestFiles.golden($0.stringValue!) }
        let out = TestFiles.tempDir() + "/pixels.safetensors"
        let r = try CLIRunner.run(["preprocess", TestFiles.golden(m["model"]!)] + images + ["-o", out, "--image-aspect-ratio", "pad"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try SafetensorsFile(path: out).float32("input.pixel_values")
        #expect(ours == (try g.float32("input.pixel_values")))
    }

    @Test func userErrorsAreOneLine() throws {
        let model = TestFiles.golden("models/vila-clip-linear-f16")
        let missing = try CLIRunner.run(["run", model, "--image", "/no/such.jpg", "--prompt", "x"])
        #expect(missing.status == 2 && missing.stderr.contains("/no/such.jpg"))
        let notImage = try CLIRunner.run(["run", model, "--image", TestFiles.golden("images/preprocess.golden.safetensors"), "--prompt", "x"])
        #expect(notImage.status == 2 && notImage.stderr.contains("not a PNG or JPEG"))
        let markers = try CLIRunner.run(["run", model, "--prompt", "<image> <image>", "--image", TestFiles.golden("images/files/tiny-7x5.png")])
        #expect(markers.status == 2 && markers.stderr.contains("2 <image> marker(s) but 1 image(s)"))
        let template = try CLIRunner.run(["run", model, "--prompt", "x", "--template", "chatml"])
        #expect(template.status == 2 && template.stderr.contains("The value 'chatml' is invalid for '--template <template>'"))
        let nothing = try CLIRunner.run(["run", model])
        #expect(nothing.status == 2)
    }

    /// MODEL may be a quantized folder or a bundle: the tokenizer, preprocessor and config travel with them.
    @Test func runsQuantizedModelsAndBundles() throws {
        let dir = TestFiles.tempDir()
        let model = TestFiles.golden("models/vila-clip-linear-f16")
        #expect(try CLIRunner.run(["quantize", model, "-o", dir + "/q8", "--scheme", "int8"]).status == 0)
        #expect(try CLIRunner.run(["export", dir + "/q8", "-o", dir + "/q8.vlmb"]).status == 0)
        for m in [dir + "/q8", dir + "/q8.vlmb"] {
            let r = try CLIRunner.run(["run", m, "--image", TestFiles.golden("images/files/scene-97x61.jpg"),
                                       "--prompt", "What is this?", "--max-new-tokens", "5", "--json"])
            #expect(r.status == 0, "\(m): \(r.stderr)")
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            #expect((o?["generated_ids"] as? [Int])?.isEmpty == false, "\(m)")
            #expect(o?["images"] as? Int == 1)
        }
    }
}
