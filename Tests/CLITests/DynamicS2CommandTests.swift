import Foundation
import Testing
import TestSupport

/// NVILA-8B in miniature (dynamic S2, mlp_downsample in NVILA order, Qwen2) through the commands:
/// preprocess tiles an image file, run answers about it, and the float bundle and the int8 model
/// (folder and bundle) verify against PyTorch's golden.
@Suite struct DynamicS2CommandTests {
    let model = TestFiles.golden("models/nvila-s2-siglip-qwen2-f16")
    let golden = TestFiles.golden("cases/nvila-s2-siglip-qwen2-f16.golden.safetensors")
    let photo = TestFiles.golden("images/files/photo-320x240.jpg")

    @Test func preprocessAndRunTileTheImage() throws {
        let dir = TestFiles.tempDir("s2")
        let p = try CLIRunner.run(["preprocess", model, photo, "-o", dir + "/px.safetensors"])
        #expect(p.status == 0, "\(p.stderr)")
        // One image is tiled: 320×240 → 1 + 4 + 3×4 tiles.
        #expect(p.stdout.contains("input.pixel_values [17, 3, 28, 28] and input.grids (last-scale tiles per image: 3×4)"), "\(p.stdout)")
        // Several are not (NVILA's generate_content): one tower input each, seen at every scale.
        let two = try CLIRunner.run(["preprocess", model, photo, TestFiles.golden("images/files/tall-gray-33x70.png"), "-o", dir + "/px2.safetensors"])
        #expect(two.stdout.contains("input.pixel_values [2, 3, 28, 28] and input.grids (last-scale tiles per image: untiled, untiled)"), "\(two.stdout)")
        let r = try CLIRunner.run(["run", model, "--image", photo, "--prompt", "What is this?", "--max-new-tokens", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        // NVILA's prompt: the checkpoint's chat template, the image before the text, and "\n" (id 201
        // in this tokenizer, as transformers gives it) embedded after the image's features.
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(j["template"] as? String == "chat_template")
        let ids = j["prompt_ids"] as! [Int]
        let at = try #require(ids.firstIndex(of: -200))
        #expect(ids.filter { $0 == -200 }.count == 1 && ids[at + 1] == 201)
        let vicuna = try CLIRunner.run(["run", model, "--image", photo, "--prompt", "x", "--template", "vicuna_v1", "--max-new-tokens", "1", "--json"])
        #expect(vicuna.status == 0, "\(vicuna.stderr)")
        let vids = (try JSONSerialization.jsonObject(with: Data(vicuna.stdout.utf8)) as! [String: Any])["prompt_ids"] as! [Int]
        // The image encoder's end tokens follow the image whatever the template: the same id after −200.
        #expect(vids[vids.firstIndex(of: -200)! + 1] == ids[at + 1])
        let aspect = try CLIRunner.run(["run", model, "--image", photo, "--prompt", "x", "--image-aspect-ratio", "pad"])
        #expect(aspect.status == 2 && aspect.stderr.contains("tiles images itself (image_aspect_ratio dynamic_s2)"), "\(aspect.stderr)")
    }

    /// NVILA-Lite's dynamic tiles: one image becomes its tiles and a thumbnail, each an image of its own
    /// in the prompt ("<image>\n" per tile); 320×240 at 98 px tiles → 2 rows × 3 cols + thumbnail.
    @Test func nvilaLiteTilesBecomeImagesOfTheirOwn() throws {
        let lite = TestFiles.golden("models/nvila-siglip-3x3-qwen2-f16")
        let r = try CLIRunner.run(["run", lite, "--image", photo, "--prompt", "What is this?", "--max-new-tokens", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect((j["prompt_ids"] as! [Int]).filter { $0 == -200 }.count == 7)
        #expect(j["images"] as? Int == 7)
        let dir = TestFiles.tempDir("lite")
        let p = try CLIRunner.run(["preprocess", lite, photo, "-o", dir + "/px.safetensors"])
        #expect(p.stdout.contains("input.pixel_values [7, 3, 98, 98] (tiles per image: 7; each tile is one image in the prompt"), "\(p.stdout)")
        let i = try CLIRunner.run(["inspect", lite, "--image-size", "1920x1080"])
        #expect(i.stdout.contains("1920×1080 image: grid 1×2, 3 tower inputs, 27 image tokens"), "\(i.stdout)")
    }

    /// int8 within about 2× what it measures here (logits max rel 1.16e-2, KL 5.4e-5, top-1 52/52).
    @Test func bundleAndInt8Verify() throws {
        try Qwen2CommandTests.bundleAndInt8Verify(model: "nvila-s2-siglip-qwen2-f16",
                                                  tolerances: ["--max-rel", "0.025", "--max-kld", "1.1e-4", "--min-top1", "0.95"])
    }

    /// AWQ calibrates on an S2 prompt: its tiles and grids (input.grids) are spliced like run's,
    /// 3 text tokens + 2 images × 48 tokens = 99 calibration positions.
    @Test func awqCalibratesOnTiledImages() throws {
        let dir = TestFiles.tempDir("s2awq")
        let calibration = TestFiles.golden("cases/nvila-s2-siglip-qwen2-f16.two-images.golden.safetensors")
        let q = try CLIRunner.run(["quantize", model, "-o", dir + "/a", "--scheme", "int4", "-g", "32", "--method", "awq",
                                   "--calibration", calibration])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("awq: 99 calibration tokens"), "\(q.stdout)")
    }

    /// VILA 1.5's multi-scale S2 ("s2": true): the processor makes the image at the largest scale
    /// (84 px here, the tower's 28 px tiles), and the model verifies, runs and bundles.
    @Test func multiScaleS2PreprocessesAtTheLargestScale() throws {
        let model = TestFiles.golden("models/vila-s2-siglip-f16")
        let dir = TestFiles.tempDir("ms2")
        let p = try CLIRunner.run(["preprocess", model, photo, "-o", dir + "/px.safetensors"])
        #expect(p.status == 0 && p.stdout.contains("input.pixel_values [1, 3, 84, 84]"), "\(p.stdout)\(p.stderr)")
        let inspect = try CLIRunner.run(["inspect", model, "--image-size", "640x480"])
        #expect(inspect.stdout.contains("multi-scale S2: the image at 84 px, resized to 28, 56, 84 px"))
        #expect(inspect.stdout.contains("640×480 image: grid 1×1, 14 tower inputs, 4 image tokens"))
        #expect(try CLIRunner.run(["export", model, "-o", dir + "/m.vlmb"]).status == 0)
        let v = try CLIRunner.run(["verify", dir + "/m.vlmb", "--golden", TestFiles.golden("cases/vila-s2-siglip-f16.golden.safetensors")])
        #expect(v.status == 0, "\(v.stdout)")
    }
}
