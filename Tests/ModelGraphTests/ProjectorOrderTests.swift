import Testing
import TensorIO
import TestSupport
@testable import ModelGraph

/// Which flat_square a VILA config gets: decided by the NVILA release's config fields, the `_fix`
/// projector names, or the override (command line, or vlmkit-overrides.json beside the configs).
@Suite struct ProjectorOrderTests {
    func config(_ top: [(String, JSONValue)], projector: String = "mlp_downsample",
                files extra: [String: String] = [:], overrides: ConfigOverrides = .none) throws -> VLMConfig {
        let llm: JSONValue = .object([("hidden_size", .int(64)), ("intermediate_size", .int(128)), ("num_hidden_layers", .int(1)),
                                      ("num_attention_heads", .int(4)), ("vocab_size", .int(32))])
        let vision: JSONValue = .object([("model_type", .string("siglip_vision_model")), ("hidden_size", .int(32)),
                                         ("intermediate_size", .int(64)), ("num_hidden_layers", .int(2)),
                                         ("num_attention_heads", .int(2)), ("image_size", .int(70)), ("patch_size", .int(14))])
        let json: JSONValue = .object([("model_type", .string("llava_llama")), ("llm_cfg", llm), ("vision_tower_cfg", vision),
                                       ("mm_projector_cfg", .object([("mm_projector_type", .string(projector))])),
                                       ("mm_vision_select_feature", .string("cls_patch"))] + top)
        var files = ["config.json": Array(json.serialized.utf8)]
        for (k, v) in extra { files[k] = Array(v.utf8) }
        return try ConfigLoader.read(MemoryConfigSource(container: "t", files: files), layout: .vila, overrides: overrides)
    }

    @Test func vila15ConfigsKeepTheColumnMajorOrder() throws {
        let c = try config([("s2", .bool(false)), ("s2_scales", .string("384,768,1152")), ("fps", .double(0))])
        #expect(c.projector.mergeOrder == .vila15)
        #expect(c.projector.mergeOrderReason == "config.json has no field of the NVILA release")
    }

    @Test(arguments: ["dynamic_s2", "s2_resize_output_to_scale_idx", "num_time_tokens", "time_token_format", "image_encoder", "max_tiles"])
    func aFieldOfTheNVILAReleaseSelectsRowMajor(_ field: String) throws {
        let value: JSONValue = field == "dynamic_s2" ? .bool(false)
            : field == "image_encoder" ? .string(#"{"_target_": "llava.model.encoders.BasicImageEncoder"}"#) : .int(12)
        let c = try config([(field, value)])
        #expect(c.projector.mergeOrder == .nvila)
        #expect(c.projector.mergeOrderReason.contains(field))
        // The same fields say the NVILA release's image encoder runs: "\n" after every image.
        #expect(c.imageEncoder?.endTokens == "\n")
        #expect(c.imageEncoder?.startTokens == nil)
    }

    @Test func vila15ConfigsHaveNoImageEncoder() throws {
        #expect(try config([]).imageEncoder == nil)
    }

    @Test func imageEncoderArgumentsAreReadAndTheRestRefused() throws {
        let set = try config([("image_encoder", .string(#"{"_target_": "llava.model.encoders.BasicImageEncoder", "start_tokens": "<s>", "end_tokens": null}"#))])
        #expect(set.imageEncoder?.startTokens == "<s>")
        #expect(set.imageEncoder?.endTokens == nil)
        let object = try config([("image_encoder", .object([("_target_", .string("llava.model.encoders.BasicImageEncoder")), ("end_tokens", .string("\n\n"))]))])
        #expect(object.imageEncoder?.endTokens == "\n\n")
        #expect(throws: ConfigError.self) { try config([("image_encoder", .string(#"{"_target_": "llava.model.encoders.TSPImageEncoder"}"#))]) }
        #expect(throws: ConfigError.self) { try config([("image_encoder", .string(#"{"_target_": "llava.model.encoders.BasicImageEncoder", "pool_sizes": [2]}"#))]) }
        #expect(throws: ConfigError.self) { try config([("image_encoder", .string("not json"))]) }
    }

    @Test func fixProjectorsExistOnlyInTheNVILARelease() throws {
        for p in ["mlp_downsample_2x2_fix", "mlp_downsample_3x3_fix"] {
            let c = try config([], projector: p)
            #expect(c.projector.mergeOrder == .nvila, "\(p)")
        }
        let three = try config([], projector: "mlp_downsample_3x3_fix")
        #expect(three.projector.inputSize == 9 * 32)
        #expect(try three.imageTokens.get() == 4)  // 5×5 padded to 6×6
    }

    @Test func overridesWinAndTheStoredFileIsRead() throws {
        let cli = try config([("dynamic_s2", .bool(false))], overrides: ConfigOverrides(projectorOrder: .vila15))
        #expect(cli.projector.mergeOrder == .vila15 && cli.projector.mergeOrderReason == "--projector-order")
        #expect(cli.overrides == ConfigOverrides(projectorOrder: .vila15))
        let stored = try config([], files: [ConfigOverrides.fileName: #"{"projector_order": "nvila"}"#])
        #expect(stored.projector.mergeOrder == .nvila && stored.projector.mergeOrderReason == "t:vlmkit-overrides.json")
        #expect(stored.overrides.projectorOrder == .nvila)
        let both = try config([], files: [ConfigOverrides.fileName: #"{"projector_order": "nvila"}"#],
                              overrides: ConfigOverrides(projectorOrder: .vila15))
        #expect(both.projector.mergeOrder == .vila15)
        #expect(throws: ConfigError.self) { try config([], files: [ConfigOverrides.fileName: #"{"projector_order": "rows"}"#]) }
    }
}
