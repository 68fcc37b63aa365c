/// Rotary position embedding frequency scaling.
public enum RopeScaling: Equatable, Sendable, Encodable {
    /// Llama 3.1's scheme: long wavelengths divided by `factor`, short ones kept, a smooth ramp between.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int)
    /// Positions divided by `factor`.
    case linear(factor: Double)

    public var typeName: String {
        switch self {
        case .llama3: return "llama3"
        case .linear: return "linear"
        }
    }
}

/// Which decoder architecture a language model config describes: both compute the same layer
/// (RMSNorm, rotary attention, SiLU-gated MLP) and differ in which Linears carry biases and in
/// their config defaults.
public enum DecoderArchitecture: String, Sendable, Encodable {
    /// `LlamaForCausalLM`: biases on all four attention Linears when `attention_bias`, on the MLP's when `mlp_bias`.
    case llama
    /// `Qwen2ForCausalLM`: q, k and v always biased, o and the MLP never (transformers' modeling_qwen2).
    case qwen2
}

/// A Llama-family language model configuration (Hugging Face `LlamaConfig` or `Qwen2Config`), read
/// from files written by transformers 4.x (`rope_theta`, `rope_scaling`, `torch_dtype`) or 5.x
/// (`rope_parameters`, `dtype`). Missing keys take transformers' defaults of that config class.
public struct LlamaConfig: Equatable, Sendable, Encodable {
    public var architecture: DecoderArchitecture
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var maxPositionEmbeddings: Int
    public var rmsNormEps: Double
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    public var tieWordEmbeddings: Bool
    /// Biases of q/k/v, of o, and of the MLP's three Linears.
    public var qkvBias: Bool
    public var outputBias: Bool
    public var mlpBias: Bool
    public var hiddenAct: String
    /// `dtype` (5.x) or `torch_dtype` (4.x), as written; informative only.
    public var storedDType: String?
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]

    /// Query heads per key/value head (1 for multi-head attention).
    public var gqaRatio: Int { numHeads / numKVHeads }

    public init(_ c: ConfigObject) throws {
        let type = try c.string("model_type")
        switch type {
        case nil, "llama": architecture = .llama
        case "qwen2": architecture = .qwen2
        default:
            throw ConfigError.unsupported(file: c.file, detail: "\(c.path("model_type")) is \"\(type!)\"; VLMKit reads Llama-family language models (model_type \"llama\" or \"qwen2\")")
        }
        let qwen = architecture == .qwen2
        vocabSize = try c.positiveInt("vocab_size", default: qwen ? 151936 : 32000)
        hiddenSize = try c.positiveInt("hidden_size", default: 4096)
        intermediateSize = try c.positiveInt("intermediate_size", default: qwen ? 22016 : 11008)
        numLayers = try c.positiveInt("num_hidden_layers", default: 32)
        numHeads = try c.positiveInt("num_attention_heads", default: 32)
        numKVHeads = try c.positiveInt("num_key_value_heads", default: numHeads)
        guard numHeads % numKVHeads == 0 else {
            throw ConfigError.invalidValue(file: c.file, key: c.path("num_key_value_heads"),
                                           detail: "(\(numKVHeads)) must divide num_attention_heads (\(numHeads))")
        }
        if let hd = try c.int("head_dim") {
            guard hd > 0 else { throw ConfigError.invalidValue(file: c.file, key: c.path("head_dim"), detail: "must be positive, found \(hd)") }
            headDim = hd
        } else {
            guard hiddenSize % numHeads == 0 else {
                throw ConfigError.invalidValue(file: c.file, key: c.path("num_attention_heads"),
                                               detail: "(\(numHeads)) must divide hidden_size (\(hiddenSize))")
            }
            headDim = hiddenSize / numHeads
        }
        guard headDim % 2 == 0 else {
            throw ConfigError.invalidValue(file: c.file, key: c.path("head_dim"), detail: "must be even for rotary embeddings, found \(headDim)")
        }
        maxPositionEmbeddings = try c.positiveInt("max_position_embeddings", default: qwen ? 32768 : 2048)
        rmsNormEps = try c.positiveDouble("rms_norm_eps", default: 1e-6)
        tieWordEmbeddings = try c.bool("tie_word_embeddings", default: false)
        if qwen {
            qkvBias = true
            outputBias = false
            mlpBias = false
            try Self.refuseSlidingWindow(c, layers: numLayers)
        } else {
            qkvBias = try c.bool("attention_bias", default: false)
            outputBias = qkvBias
            mlpBias = try c.bool("mlp_bias", default: false)
        }
        hiddenAct = try c.string("hidden_act") ?? "silu"
        guard hiddenAct == "silu" || hiddenAct == "swish" else {
            throw ConfigError.unsupported(file: c.file, detail: "\(c.path("hidden_act")) \"\(hiddenAct)\" is not supported; Llama and Qwen2 use \"silu\"")
        }
        storedDType = try c.string("dtype") ?? c.string("torch_dtype")
        bosTokenID = try c.int("bos_token_id")
        eosTokenIDs = try c.intList("eos_token_id")
        (ropeTheta, ropeScaling) = try Self.readRope(c)
    }

    /// Qwen2's sliding-window attention limits which keys a layer sees; the runner attends to all
    /// of them, so a config that turns it on for any layer is refused rather than computed
    /// differently. As in transformers' Qwen2Config, it applies only with `use_sliding_window`,
    /// to the layers `layer_types` names "sliding_attention" (or, without that list, the layers
    /// from `max_window_layers` on). NVILA and Qwen2-Instruct turn it off.
    static func refuseSlidingWindow(_ c: ConfigObject, layers: Int) throws {
        guard try c.bool("use_sliding_window", default: false) else { return }
        let sliding: Bool
        if case .array(let kinds)? = c.value("layer_types") {
            sliding = kinds.contains(.string("sliding_attention"))
        } else {
            sliding = try c.int("max_window_layers", default: 28) < layers
        }
        if sliding {
            throw ConfigError.unsupported(file: c.file, detail: "\(c.path("use_sliding_window")) is true and some layers use sliding-window attention, which is not supported")
        }
    }

    /// transformers 5.x: `rope_parameters` {rope_type, rope_theta, …};
    /// 4.x: `rope_theta` plus an optional `rope_scaling` {type | rope_type, …}.
    static func readRope(_ c: ConfigObject) throws -> (Double, RopeScaling?) {
        if let params = try c.object("rope_parameters") {
            let theta = try params.positiveDouble("rope_theta", default: try c.double("rope_theta") ?? 10000)
            return (theta, try readScaling(params))
        }
        let theta = try c.positiveDouble("rope_theta", default: 10000)
        guard let scaling = try c.object("rope_scaling") else { return (theta, nil) }
        return (theta, try readScaling(scaling))
    }

    static func readScaling(_ s: ConfigObject) throws -> RopeScaling? {
        let type = try s.string("rope_type") ?? s.string("type") ?? "default"
        switch type {
        case "default":
            return nil
        case "linear":
            guard s.has("factor") else { throw ConfigError.missingKey(file: s.file, key: s.path("factor")) }
            return .linear(factor: try s.positiveDouble("factor", default: 1))
        case "llama3":
            // transformers refuses a llama3 rope without all four parameters (no defaults).
            for key in ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"] where !s.has(key) {
                throw ConfigError.missingKey(file: s.file, key: s.path(key))
            }
            let low = try s.positiveDouble("low_freq_factor", default: 1)
            let high = try s.positiveDouble("high_freq_factor", default: 4)
            guard high > low else {
                throw ConfigError.invalidValue(file: s.file, key: s.path("high_freq_factor"),
                                               detail: "must exceed low_freq_factor (\(low)), found \(high)")
            }
            return .llama3(factor: try s.positiveDouble("factor", default: 1),
                           lowFreqFactor: low, highFreqFactor: high,
                           originalMaxPositionEmbeddings: try s.positiveInt("original_max_position_embeddings", default: 8192))
        default:
            throw ConfigError.unsupported(file: s.file, detail: "rope scaling type \"\(type)\" in \(s.keyPath) is not supported (supported: none, linear, llama3)")
        }
    }
}
