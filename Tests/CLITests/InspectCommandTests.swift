import TestSupport
import Foundation
import Testing

@Suite struct InspectCommandTests {
    @Test func inspectsEveryFixtureAsText() throws {
        for name in ["vila-clip-linear-f16", "vila-clip-mlp2x-bf16-sharded", "vila-siglip-downsample-f32",
                     "llava-hf-f16", "llava-hf-nested-bf16-sharded", "vila-siglip-qwen2-f16"] {
            let r = try CLIRunner.run(["inspect", TestFiles.golden("models/" + name)])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(r.stdout.contains("image tokens per image"))
            #expect(r.stdout.contains("problems        none"))
        }
    }

    @Test func qwen2LanguageModelIsNamedWithItsBiases() throws {
        let r = try CLIRunner.run(["inspect", TestFiles.golden("models/vila-siglip-qwen2-f16")])
        #expect(r.stdout.contains("language model  Qwen2: hidden 64, MLP 128, 2 layers, 4 heads / 2 KV heads (GQA 2:1)"), "\(r.stdout)")
        #expect(r.stdout.contains("biases: q, k, v"))
        let llama = try CLIRunner.run(["inspect", TestFiles.golden("models/vila-clip-linear-f16")])
        #expect(llama.stdout.contains("language model  Llama:") && llama.stdout.contains("biases: none"))
    }

    @Test func jsonOutputIsOneObjectWithTheArchitecture() throws {
        let r = try CLIRunner.run(["inspect", TestFiles.golden("models/vila-siglip-downsample-f32"), "--json"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(obj["layout"] as? String == "vila")
        let projector = obj["projector"] as! [String: Any]
        #expect(projector["type"] as? String == "mlp_downsample")
        #expect(projector["image_tokens"] as? Int == 9)
        let llm = obj["llm"] as! [String: Any]
        #expect(llm["tie_word_embeddings"] as? Bool == true)
        #expect(llm["gqa_ratio"] as? Int == 1)
        let total = obj["total"] as! [String: Any]
        #expect(total["parameters"] as? Int == 172_960)
        #expect((obj["ignored"] as! [Any]).count == 13)
    }

    @Test func badInputExitsWithTwoAndOneLineOnStderr() throws {
        let dir = TestFiles.tempDir("cli")
        let r = try CLIRunner.run(["inspect", dir])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("vlmkit: error: \(dir): cannot tell the checkpoint layout"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func usageErrorsExitWithTwo() throws {
        let r = try CLIRunner.run(["inspect"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Missing expected argument"))
        let unknown = try CLIRunner.run(["frobnicate"])
        #expect(unknown.status == 2)
    }

    @Test func helpTeachesAndExitsZero() throws {
        let r = try CLIRunner.run(["inspect", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Examples:"))
        let top = try CLIRunner.run(["--help"])
        #expect(top.stdout.contains("Exit codes: 0 success, 1 verification out of tolerance, 2 bad input or usage."))
    }
}
