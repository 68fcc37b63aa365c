import Testing
import TensorIO
@testable import ModelGraph

/// Qwen2 (NVILA's language model) read as a Llama-family decoder: its defaults, its fixed biases
/// (q/k/v always, o and the MLP never, whatever `attention_bias` says) and the sliding window it
/// may switch on, which is refused.
@Suite struct Qwen2ConfigTests {
    func config(_ json: String) throws -> LlamaConfig {
        try LlamaConfig(ConfigObject(json: JSONParser.parse(json), file: "config.json"))
    }

    @Test func defaultsFollowTransformersQwen2Config() throws {
        let c = try config(#"{"model_type": "qwen2"}"#)
        #expect(c.architecture == .qwen2)
        #expect(c.vocabSize == 151936 && c.hiddenSize == 4096 && c.intermediateSize == 22016 && c.numLayers == 32)
        #expect(c.numKVHeads == 32 && c.maxPositionEmbeddings == 32768 && c.rmsNormEps == 1e-6 && c.ropeTheta == 10000)
        #expect(c.qkvBias && !c.outputBias && !c.mlpBias)
        let llama = try config(#"{"model_type": "llama", "attention_bias": true}"#)
        #expect(llama.architecture == .llama && llama.qkvBias && llama.outputBias && !llama.mlpBias)
        #expect(try config(#"{"model_type": "qwen2", "attention_bias": false}"#).qkvBias, "Qwen2's biases are not configurable")
    }

    /// An llm_cfg of NVILA-8B's shape (the values issue 17 lists; transformers 4.x spelling).
    @Test func nvila8BLanguageModel() throws {
        let c = try config(#"""
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 3584, "intermediate_size": 18944,
         "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 151648,
         "rope_theta": 1000000.0, "rms_norm_eps": 1e-06, "tie_word_embeddings": false, "use_sliding_window": false,
         "sliding_window": 131072, "max_window_layers": 28, "max_position_embeddings": 32768, "torch_dtype": "bfloat16"}
        """#)
        #expect(c.headDim == 128 && c.gqaRatio == 7 && c.ropeTheta == 1e6 && c.storedDType == "bfloat16")
    }

    @Test func slidingWindowIsRefusedOnlyWhenSomeLayerUsesIt() throws {
        func error(_ json: String) -> String {
            do { _ = try config(json); return "no error" } catch { return String(describing: error) }
        }
        #expect(error(#"{"model_type": "qwen2", "num_hidden_layers": 4, "use_sliding_window": true, "max_window_layers": 2}"#)
            .contains("use_sliding_window is true and some layers use sliding-window attention"))
        #expect(error(#"{"model_type": "qwen2", "use_sliding_window": true, "layer_types": ["full_attention", "sliding_attention"]}"#)
            .contains("sliding-window attention, which is not supported"))
        // On, but no layer at or past max_window_layers; or off, whatever the list says (transformers then sets no window).
        #expect(error(#"{"model_type": "qwen2", "num_hidden_layers": 4, "use_sliding_window": true, "max_window_layers": 4}"#) == "no error")
        #expect(error(#"{"model_type": "qwen2", "use_sliding_window": false, "layer_types": ["sliding_attention"]}"#) == "no error")
        #expect(error(#"{"model_type": "mistral"}"#).contains("model_type \"llama\" or \"qwen2\""))
    }
}
