import TestSupport
import Foundation
import Testing
import TensorCore
import TensorIO
@testable import ModelGraph

/// Checkpoints that do not match their config, or are not checkpoints: each must fail with a
/// message that names the tensor or key and the file.
@Suite struct BadCheckpointTests {
    func error(_ path: String) -> String {
        do { _ = try ModelLoader.load(path); return "no error" } catch { return String(describing: error) }
    }

    @Test func missingTensorIsNamedWithItsFile() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editTensors(dir + "/llm/model.safetensors", drop: ["model.layers.1.mlp.up_proj.weight"])
        let e = error(dir)
        #expect(e.contains("1 missing: 'model.layers.1.mlp.up_proj.weight' in \(dir)/llm/model.safetensors"), "\(e)")
    }

    @Test func unknownTensorIsAnError() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editTensors(dir + "/mm_projector/model.safetensors", add: [("layers.extra", .f16, [1], [0, 0])])
        #expect(error(dir).contains("1 unused: 'layers.extra' in \(dir)/mm_projector/model.safetensors (no layout rule names it)"))
    }

    @Test func tensorsBeyondTheConfiguredLayersAreUnused() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/llm/config.json") { $0["num_hidden_layers"] = 1 }
        FixtureEditing.editJSON(dir + "/config.json") { c in
            var llm = c["llm_cfg"] as! [String: Any]; llm["num_hidden_layers"] = 1; c["llm_cfg"] = llm
        }
        let e = error(dir)
        #expect(e.contains("unused: 'model.layers.1."), "\(e)")
        #expect(e.contains("is not part of the configured model"))
    }

    @Test func wrongShapeNamesExpectedAndFound() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/llm/config.json") { $0["num_key_value_heads"] = 2 }
        let e = error(dir)
        #expect(e.contains("'model.layers.0.self_attn.k_proj.weight' in \(dir)/llm/model.safetensors has shape [64, 64], expected [32, 64]"), "\(e)")
    }

    @Test func integerTensorInAWeightSlot() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editTensors(dir + "/mm_projector/model.safetensors", drop: ["layers.bias"],
                                   add: [("layers.bias", .i32, [64], [UInt8](repeating: 0, count: 256))])
        #expect(error(dir).contains("'layers.bias' in \(dir)/mm_projector/model.safetensors is I32, expected a float type"))
    }

    @Test func tiedEmbeddingsWithAStoredHeadIgnoreTheHead() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/llm/config.json") { $0["tie_word_embeddings"] = true }
        let g = try ModelLoader.load(dir)
        #expect(g.llm.lmHead == nil)
        #expect(g.ignored.contains { $0.name == "lm_head.weight" && $0.reason.contains("tie_word_embeddings") })
    }

    @Test func conflictingTopLevelAndSubfolderConfigsWarn() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/config.json") { c in
            var llm = c["llm_cfg"] as! [String: Any]; llm["rms_norm_eps"] = 1e-6; c["llm_cfg"] = llm
        }
        let g = try ModelLoader.load(dir)
        #expect(g.config.llm.rmsNormEps == 1e-5)
        #expect(g.config.warnings.contains { $0.contains("rmsNormEps") && $0.contains("using \(dir)/llm/config.json") })
    }

    @Test func missingSubfolderOrUnknownLayout() throws {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        try FileManager.default.removeItem(atPath: dir + "/mm_projector")
        #expect(error(dir).contains("VILA checkpoint is missing its mm_projector/ folder"))
        let empty = TestFiles.tempDir("empty")
        #expect(error(empty).contains("cannot tell the checkpoint layout"))
        #expect(error(empty + "/nope").contains("no such file or directory"))
        TestFiles.write(Array(#"{"model_type": "bert"}"#.utf8), to: empty + "/config.json")
        #expect(error(empty).contains("model_type is \"bert\""))
        #expect(error(empty + "/config.json").contains("not a checkpoint folder"))
    }

    @Test func selectLayerOutOfRangeAndNonSquareDownsampleGrid() {
        let dir = FixtureEditing.copy("vila-siglip-downsample-f32")
        FixtureEditing.editJSON(dir + "/config.json") { $0["mm_vision_select_layer"] = -5 }
        #expect(error(dir).contains("\"mm_vision_select_layer\" (-5) is outside the 4 hidden states of a 3-layer vision tower"))
        FixtureEditing.editJSON(dir + "/config.json") { $0["mm_vision_select_layer"] = -2; $0["mm_vision_select_feature"] = "patch" }
        #expect(error(dir).contains("mlp_downsample needs a square grid of feature tokens, but the vision tower yields 24"))
    }

    @Test func unsupportedProjectorTypeListsTheSupportedOnes() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/mm_projector/config.json") { $0["mm_projector_type"] = "mlp_downsample_3x3_s2" }
        #expect(error(dir).contains("\"mlp_downsample_3x3_s2\" is not supported (supported: linear, mlp2x_gelu, mlp_downsample, mlp_downsample_2x2_fix, mlp_downsample_3x3_fix)"))
    }

    @Test func badConfigJSONNamesTheFile() throws {
        let dir = FixtureEditing.copy("llava-hf-f16")
        TestFiles.write(Array(#"{"model_type": "llava", "#.utf8), to: dir + "/config.json")
        #expect(error(dir).contains("\(dir)/config.json: invalid JSON"))
    }
}

@Suite struct HostileConfigTests {
    /// A config claiming a billion layers fails at once instead of listing a billion missing tensors.
    @Test func absurdLayerCountFailsFast() {
        let dir = FixtureEditing.copy("vila-clip-linear-f16")
        FixtureEditing.editJSON(dir + "/llm/config.json") { $0["num_hidden_layers"] = 1_000_000_000 }
        do {
            _ = try ModelLoader.load(dir)
            Issue.record("expected an error")
        } catch {
            #expect(String(describing: error).contains("the config gives the language model 1000000000 layers but the checkpoint holds only"))
        }
    }
}
