import Testing
import TensorIO
@testable import ModelGraph

@Suite struct ConfigParsingTests {
    func llama(_ json: String) throws -> LlamaConfig {
        try LlamaConfig(ConfigObject(json: JSONParser.parse(json), file: "config.json"))
    }

    @Test func transformers4And5RopeSpellingsAgree() throws {
        let v4 = try llama(#"{"model_type": "llama", "rope_theta": 500000.0, "torch_dtype": "bfloat16", "rope_scaling": {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#)
        let v4b = try llama(#"{"model_type": "llama", "rope_theta": 500000.0, "torch_dtype": "bfloat16", "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#)
        let v5 = try llama(#"{"model_type": "llama", "dtype": "bfloat16", "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"#)
        #expect(v4 == v5 && v4b == v5)
        #expect(v5.ropeScaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192))
        let plain5 = try llama(#"{"rope_parameters": {"rope_type": "default", "rope_theta": 10000.0}}"#)
        let plain4 = try llama(#"{"rope_theta": 10000, "rope_scaling": null}"#)
        #expect(plain4 == plain5 && plain5.ropeScaling == nil)
    }

    @Test func defaultsFollowTransformersLlamaConfig() throws {
        let c = try llama("{}")
        #expect(c.hiddenSize == 4096 && c.numLayers == 32 && c.numKVHeads == 32 && c.vocabSize == 32000 && c.headDim == 128)
        #expect(c.rmsNormEps == 1e-6 && c.ropeTheta == 10000 && !c.tieWordEmbeddings)
        #expect(try llama(#"{"eos_token_id": [128001, 128009]}"#).eosTokenIDs == [128001, 128009])
        #expect(try llama(#"{"hidden_size": 4096.0}"#).hiddenSize == 4096)
    }

    func configError(_ json: String) -> String {
        do { _ = try llama(json); return "no error" } catch { return String(describing: error) }
    }

    @Test func invalidLlamaConfigsNameTheKey() {
        #expect(configError(#"{"hidden_size": 64, "num_attention_heads": 5}"#).contains("\"num_attention_heads\" (5) must divide hidden_size (64)"))
        #expect(configError(#"{"num_attention_heads": 8, "num_key_value_heads": 3}"#).contains("\"num_key_value_heads\" (3) must divide num_attention_heads (8)"))
        #expect(configError(#"{"hidden_size": 0}"#).contains("\"hidden_size\" must be at least 1, found 0"))
        #expect(configError(#"{"vocab_size": -5}"#).contains("\"vocab_size\" must be at least 1"))
        #expect(configError(#"{"hidden_size": "big"}"#).contains("\"hidden_size\" must be an integer, found \"big\""))
        #expect(configError(#"{"rope_scaling": {"type": "yarn", "factor": 4}}"#).contains("rope scaling type \"yarn\""))
        #expect(configError(#"{"rope_scaling": {"type": "llama3"}}"#).contains("missing key \"rope_scaling.factor\""))
        #expect(configError(#"{"model_type": "gemma"}"#).contains("\"gemma\""))
        #expect(configError(#"{"hidden_act": "gelu"}"#).contains("not supported"))
        #expect(configError(#"{"rms_norm_eps": -1}"#).contains("must be a positive number"))
    }

    @Test func visionConfigsForClipAndSiglipWithDefaults() throws {
        let clip = try VisionConfig(ConfigObject(json: JSONParser.parse(#"{"model_type": "clip_vision_model", "image_size": 336, "patch_size": 14, "hidden_size": 1024, "num_attention_heads": 16}"#), file: "c"))
        #expect(clip.gridSize == 24 && clip.numPositions == 577 && clip.hiddenAct == "quick_gelu")
        let sig = try VisionConfig(ConfigObject(json: JSONParser.parse(#"{"model_type": "siglip", "vision_config": {"image_size": 384, "patch_size": 14, "hidden_size": 1152, "num_attention_heads": 16}}"#), file: "c"))
        #expect(sig.kind == .siglip && sig.gridSize == 27 && sig.numPositions == 729 && sig.hiddenAct == "gelu_pytorch_tanh")
        #expect(throws: ConfigError.self) { try VisionConfig(ConfigObject(json: JSONParser.parse(#"{"model_type": "radio"}"#), file: "c")) }
        #expect(throws: ConfigError.self) { try VisionConfig(ConfigObject(json: JSONParser.parse(#"{"model_type": "clip_vision_model", "image_size": 10, "patch_size": 14}"#), file: "c")) }
    }

    @Test func projectorTokenCounts() throws {
        let down = ProjectorConfig(type: .mlpDownsample, visionHiddenSize: 1152, textHiddenSize: 2560)
        #expect(try down.outputTokens(featureTokens: 729).get() == 196)  // SigLIP-384, 27×27
        #expect(try down.outputTokens(featureTokens: 576).get() == 144)  // CLIP-336, 24×24
        #expect((try? down.outputTokens(featureTokens: 728).get()) == nil)
        #expect(down.inputSize == 4608)
        #expect(try ProjectorConfig(type: .mlp2xGelu, visionHiddenSize: 8, textHiddenSize: 8).outputTokens(featureTokens: 576).get() == 576)
    }
}
