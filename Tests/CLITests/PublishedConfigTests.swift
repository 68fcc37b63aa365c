import Foundation
import Testing
import TestSupport

/// Real published configs (golden/configs/published, copied with their source) read and summarized
/// by `inspect` without weights: architecture, projector order, dynamic S2 tiling and tokens.
@Suite struct PublishedConfigTests {
    func inspect(_ name: String, _ extra: [String] = []) throws -> [String: Any] {
        let r = try CLIRunner.run(["inspect", TestFiles.golden("configs/published/" + name), "--json"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    @Test func nvila8B() throws {
        let j = try inspect("NVILA-8B", ["--image-size", "1920x1080", "--image-size", "448x448", "--image-size", "600x2000"])
        let llm = j["llm"] as! [String: Any]
        #expect(llm["architecture"] as? String == "qwen2" && llm["layers"] as? Int == 28 && llm["hidden_size"] as? Int == 3584)
        #expect(llm["heads"] as? Int == 28 && llm["kv_heads"] as? Int == 4 && llm["intermediate_size"] as? Int == 18944)
        #expect(llm["vocab_size"] as? Int == 151648 && llm["rope_theta"] as? Double == 1e6 && llm["biases"] as? String == "q, k, v")
        #expect(llm["tie_word_embeddings"] as? Bool == false)
        let vision = j["vision"] as! [String: Any]
        #expect(vision["image_size"] as? Int == 448 && vision["feature_tokens"] as? Int == 1024 && vision["layers_run"] as? Int == 26)
        let p = j["projector"] as! [String: Any]
        #expect(p["type"] as? String == "mlp_downsample" && p["merge_order"] as? String == "nvila")
        #expect(p["input_size"] as? Int == 4 * 3456 && p["image_tokens"] as? Int == 256)
        let t = j["tiling"] as! [String: Any]
        #expect(t["mode"] as? String == "dynamic_s2" && t["scales"] as? [Int] == [448, 896, 1344])
        #expect(t["min_tiles"] as? Int == 9 && t["max_tiles"] as? Int == 12 && t["resize_output_to"] as? Int == 2)
        let images = t["images"] as! [[String: Any]]
        // 16:9 → 3 rows × 4 cols; square → 3×3; tall → 6×2. 256 tokens per 448² block.
        #expect(images.map { $0["grid"] as? String } == ["3×4", "3×3", "6×2"])
        #expect(images.map { $0["tokens"] as? Int } == [3072, 2304, 3072])
        #expect(images.map { $0["tiles"] as? Int } == [17, 14, 17])
        #expect((j["layout"] as? String)?.contains("config only") == true)
        // NVILA's image encoder: "\n" after every image's features.
        let prompt = j["prompt"] as! [String: Any]
        #expect(prompt["image_end_tokens"] as? String == "\n" && prompt["image_start_tokens"] == nil)
    }

    @Test func vila15With3BKeepsTheColumnMajorOrder() throws {
        let j = try inspect("VILA1.5-3b")
        let p = j["projector"] as! [String: Any]
        #expect(p["merge_order"] as? String == "vila1.5" && p["image_tokens"] as? Int == 196)
        #expect((j["tiling"] as! [String: Any])["mode"] as? String == "single")
        #expect((j["prompt"] as! [String: Any])["image_end_tokens"] == nil)  // VILA 1.5: features alone
        let llm = j["llm"] as! [String: Any]
        #expect(llm["architecture"] as? String == "llama" && llm["hidden_size"] as? Int == 2560 && llm["layers"] as? Int == 32)
        let text = try CLIRunner.run(["inspect", TestFiles.golden("configs/published/VILA1.5-3b")])
        #expect(text.stdout.contains("weights         none: a config without tensors"))
    }
}
