import Chat
import Foundation
import Imaging
import ModelGraph
import ReferenceRuntime
import TensorIO
import TestSupport
import Tokenizer
import Testing

/// Image file + question → preprocessing → prompt ids → model → greedy ids, against the same
/// pipeline in Pillow + transformers + PyTorch (golden/e2e.py).
@Suite struct EndToEndGoldenTests {
    static let cases: [String] = {
        let dir = TestFiles.golden("e2e")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".golden.safetensors") }.sorted()
    }()

    @Test func allCasesPresent() {
        #expect(Self.cases.count == 7)
    }

    @Test(arguments: cases)
    func matchesPyTorchPipeline(_ name: String) throws {
        let golden = try SafetensorsFile(path: TestFiles.golden("e2e/" + name))
        let meta = golden.metadata
        let modelPath = TestFiles.golden(meta["model"]!)
        let graph = try ModelLoader.load(modelPath)
        let assets = try ModelAssets(files: FolderConfigSource(modelPath), config: graph.config)
        let images = try JSONParser.parse(meta["images"]!).arrayValue!.map { TestFiles.golden($0.stringValue!) }
        // A built-in template, or the checkpoint's chat template (NVILA's path).
        let template = try assets.template(named: meta["template"]!)
        // Dynamic S2 tiles by the model's config; the other cases name VILA's aspect mode.
        let aspect = AspectMode(rawValue: meta["image_aspect_ratio"]!)
        #expect(aspect != nil || graph.config.dynamicS2 != nil || graph.config.dynamicTiling != nil)

        // Pixels: bit-identical to Pillow + transformers; with dynamic S2 the tile grids too.
        let prepared = try assets.pixelValues(images, aspectOverride: aspect)
        let (pixels, grids) = (try #require(prepared.pixels), prepared.grids)
        let expectedPixels = try golden.float32("input.pixel_values")
        #expect(pixels.shape == expectedPixels.shape)
        #expect(pixels.data == expectedPixels.data, "\(name): pixel values differ")
        if golden.info("input.grids") != nil {
            let g = try golden.int64("input.grids").values.map(Int.init)
            #expect(grids?.flatMap { [$0.rows, $0.cols] } == g, "\(name): tile grids")
        }

        let session = PromptSession(assets: assets, runner: try VLMRunner(graph), template: template, sampling: .greedy,
                                    maxNewTokens: Int(meta["max_new_tokens"]!)!, aspect: aspect)
        // Prompt ids: exactly VILA's tokenizer_image_token over the template text.
        let expectedIDs = try golden.int64("input.token_ids").values
        #expect(try session.promptIDs(question: meta["prompt"]!, imageCount: images.count, tilesPerImage: prepared.tilesPerImage) == expectedIDs)

        var streamed = ""
        let result = try session.ask(meta["prompt"]!, images: images) { streamed += $0 }
        let expectedGenerated = try golden.int64("expected.generated_ids").values.map(Int.init)
        #expect(result.generatedIDs == expectedGenerated, "\(name)")
        #expect(result.text == streamed)
        // HF's text with our visible placeholders taken out; one placeholder per id without a token.
        #expect(NoTokenPlaceholders.removed(result.text) == meta["text"]!, "\(name): decoded text")
        let tokenless = result.generatedIDs.filter { !assets.tokenizer.hasToken($0) }
        #expect(tokenless.allSatisfy { result.text.contains(TextTokenizer.placeholder($0)) }, "\(name): \(tokenless)")
        let stops = try JSONParser.parse(meta["stop_ids"]!).arrayValue!.map { $0.intValue! }
        #expect(session.stopIDs == Set(stops))
    }
}
