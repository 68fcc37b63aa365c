import TensorCore
import TensorIO

/// Writes VILA-layout checkpoints with random weights and real shapes, for benchmarks and for
/// testing readers on models too large to commit. Weights are uniform in ±1/√fan_in, norm
/// scales 1; the generator is seeded, so the same preset and seed give identical files.
public enum SyntheticCheckpoint {
    public struct Preset: Sendable {
        public let name: String
        public let summary: String
        let llm: [(String, JSONValue)]
        let vision: [(String, JSONValue)]
        let projector: ProjectorType
        let selectFeature: FeatureSelection
        /// Top-level config.json fields that replace or add to the defaults (NVILA's dynamic S2).
        var top: [(String, JSONValue)] = []

        /// The preset with another number of decoder layers (real widths, fewer or more layers:
        /// quick benchmarks, and tests of memory that must not grow with depth).
        public func withLLMLayers(_ n: Int) -> Preset {
            Preset(name: name, summary: summary,
                   llm: llm.map { $0.0 == "num_hidden_layers" ? ($0.0, .int(Int64(n))) : $0 },
                   vision: vision, projector: projector, selectFeature: selectFeature, top: top)
        }
    }

    public static let presets: [Preset] = [
        Preset(name: "llama-1b", summary: "TinyLlama-1.1B shapes (2048 hidden, 22 layers, GQA 8:1) with a CLIP ViT-L/14-336 tower and mlp2x_gelu",
               llm: llama(hidden: 2048, inter: 5632, layers: 22, heads: 32, kv: 4, vocab: 32000),
               vision: clipL336,
               projector: .mlp2xGelu, selectFeature: .patch),
        Preset(name: "vila1.5-3b", summary: "VILA1.5-3B shapes: SigLIP-so400m/14 at 384 px, mlp_downsample, Llama 2560 hidden × 32 layers",
               llm: llama(hidden: 2560, inter: 6912, layers: 32, heads: 32, kv: 32, vocab: 32000),
               vision: siglipSO400M384,
               projector: .mlpDownsample, selectFeature: .clsPatch),
        Preset(name: "vila-7b", summary: "VILA-7B shapes: CLIP ViT-L/14-336, mlp2x_gelu, Llama-2-7B (4096 hidden × 32 layers, MHA, 32000 vocab)",
               llm: llama(hidden: 4096, inter: 11008, layers: 32, heads: 32, kv: 32, vocab: 32000),
               vision: clipL336,
               projector: .mlp2xGelu, selectFeature: .patch),
        Preset(name: "llama3-vila1.5-8b", summary: "Llama-3-VILA1.5-8B shapes: SigLIP-so400m/14 at 384 px, mlp_downsample, Llama-3-8B (4096 × 32, GQA 4:1, 128256 vocab, rope θ 500000)",
               llm: llama(hidden: 4096, inter: 14336, layers: 32, heads: 32, kv: 8, vocab: 128256, ropeTheta: 500000, maxPositions: 8192),
               vision: siglipSO400M384,
               projector: .mlpDownsample, selectFeature: .clsPatch),
        Preset(name: "vila1.5-13b", summary: "VILA1.5-13B shapes: SigLIP-so400m/14 at 384 px, mlp_downsample, Llama-2-13B (5120 hidden × 40 layers, 32000 vocab)",
               llm: llama(hidden: 5120, inter: 13824, layers: 40, heads: 40, kv: 40, vocab: 32000),
               vision: siglipSO400M384,
               projector: .mlpDownsample, selectFeature: .clsPatch),
        Preset(name: "nvila-8b", summary: "NVILA-8B shapes: SigLIP-so400m/14 at 448 px with dynamic S2 (448, 896, 1344), mlp_downsample (NVILA order), Qwen2 3584 × 28 (GQA 7:1, q/k/v biases, 151648 vocab)",
               llm: qwen2(hidden: 3584, inter: 18944, layers: 28, heads: 28, kv: 4, vocab: 151648),
               vision: vit("siglip_vision_model", hidden: 1152, inter: 4304, layers: 27, heads: 16, image: 448, patch: 14, act: "gelu_pytorch_tanh"),
               projector: .mlpDownsample, selectFeature: .clsPatch,
               top: [("image_aspect_ratio", .string("dynamic_s2")), ("dynamic_s2", .bool(true)), ("s2_scales", .string("448,896,1344")),
                     ("s2_max_split_size", .int(448)), ("s2_resize_output_to_scale_idx", .int(-1)), ("mm_hidden_size", .int(3456))]),
        Preset(name: "vila1.5-40b", summary: "VILA1.5-40B shapes: InternViT-6B-448px-V1-5 (3200 × 45, 25 heads, q/k RMSNorm), mlp_downsample, Yi-34B (Llama 7168 × 60, GQA 7:1, 64000 vocab)",
               llm: llama(hidden: 7168, inter: 20480, layers: 60, heads: 56, kv: 8, vocab: 64000, ropeTheta: 5_000_000),
               vision: vit("intern_vit_6b", hidden: 3200, inter: 12800, layers: 45, heads: 25, image: 448, patch: 14, act: "gelu")
                   + [("qkv_bias", .bool(false)), ("qk_normalization", .bool(true)), ("layer_norm_eps", .double(1e-6))],
               projector: .mlpDownsample, selectFeature: .patch),
        Preset(name: "small", summary: "a ~60 MB model for tests that need writes to take a while",
               llm: llama(hidden: 512, inter: 1376, layers: 8, heads: 8, kv: 4, vocab: 8000),
               vision: vit("clip_vision_model", hidden: 256, inter: 512, layers: 4, heads: 4, image: 112, patch: 14, act: "quick_gelu"),
               projector: .mlp2xGelu, selectFeature: .patch),
        Preset(name: "tiny", summary: "a few-MB model for smoke tests",
               llm: llama(hidden: 128, inter: 256, layers: 2, heads: 4, kv: 2, vocab: 1000),
               vision: vit("clip_vision_model", hidden: 64, inter: 128, layers: 2, heads: 2, image: 56, patch: 14, act: "quick_gelu"),
               projector: .mlp2xGelu, selectFeature: .patch),
        Preset(name: "tiny-deep", summary: "the tiny model with 6 decoder layers, for tests of layer-by-layer work (AWQ resume)",
               llm: llama(hidden: 128, inter: 256, layers: 6, heads: 4, kv: 2, vocab: 1000),
               vision: vit("clip_vision_model", hidden: 64, inter: 128, layers: 2, heads: 2, image: 56, patch: 14, act: "quick_gelu"),
               projector: .mlp2xGelu, selectFeature: .patch),
    ]

    /// The two real towers: CLIP ViT-L/14 at 336 px and SigLIP so400m/14 at 384 px.
    static let clipL336 = vit("clip_vision_model", hidden: 1024, inter: 4096, layers: 24, heads: 16, image: 336, patch: 14, act: "quick_gelu")
    static let siglipSO400M384 = vit("siglip_vision_model", hidden: 1152, inter: 4304, layers: 27, heads: 16, image: 384, patch: 14,
                                     act: "gelu_pytorch_tanh")

    static func llama(hidden: Int, inter: Int, layers: Int, heads: Int, kv: Int, vocab: Int,
                      ropeTheta: Double = 10000, maxPositions: Int = 4096) -> [(String, JSONValue)] {
        [("model_type", .string("llama")), ("architectures", .array([.string("LlamaForCausalLM")])),
         ("hidden_size", .int(Int64(hidden))), ("intermediate_size", .int(Int64(inter))),
         ("num_hidden_layers", .int(Int64(layers))), ("num_attention_heads", .int(Int64(heads))),
         ("num_key_value_heads", .int(Int64(kv))), ("vocab_size", .int(Int64(vocab))),
         ("max_position_embeddings", .int(Int64(maxPositions))), ("rms_norm_eps", .double(1e-5)), ("rope_theta", .double(ropeTheta)),
         ("tie_word_embeddings", .bool(false)), ("hidden_act", .string("silu"))]
    }

    /// NVILA's LLM: Qwen2 (q/k/v biases), rope θ 1e6, RMSNorm eps 1e-6, untied.
    static func qwen2(hidden: Int, inter: Int, layers: Int, heads: Int, kv: Int, vocab: Int) -> [(String, JSONValue)] {
        [("model_type", .string("qwen2")), ("architectures", .array([.string("Qwen2ForCausalLM")])),
         ("hidden_size", .int(Int64(hidden))), ("intermediate_size", .int(Int64(inter))),
         ("num_hidden_layers", .int(Int64(layers))), ("num_attention_heads", .int(Int64(heads))),
         ("num_key_value_heads", .int(Int64(kv))), ("vocab_size", .int(Int64(vocab))),
         ("max_position_embeddings", .int(32768)), ("rms_norm_eps", .double(1e-6)), ("rope_theta", .double(1e6)),
         ("tie_word_embeddings", .bool(false)), ("hidden_act", .string("silu")), ("use_sliding_window", .bool(false))]
    }

    static func vit(_ type: String, hidden: Int, inter: Int, layers: Int, heads: Int, image: Int, patch: Int, act: String) -> [(String, JSONValue)] {
        [("model_type", .string(type)), ("hidden_size", .int(Int64(hidden))), ("intermediate_size", .int(Int64(inter))),
         ("num_hidden_layers", .int(Int64(layers))), ("num_attention_heads", .int(Int64(heads))),
         ("image_size", .int(Int64(image))), ("patch_size", .int(Int64(patch))), ("hidden_act", .string(act)),
         ("num_channels", .int(3))]
    }

    /// The configs a preset writes: top-level config.json and the three sub-folder configs.
    static func configFiles(_ preset: Preset, dtype: DType) -> [(String, JSONValue)] {
        let dtypeName: JSONValue = .string(dtype == .f32 ? "float32" : dtype == .f16 ? "float16" : "bfloat16")
        let llmJSON = JSONValue.object(preset.llm + [("dtype", dtypeName)])
        let visionJSON = JSONValue.object(preset.vision + [("dtype", dtypeName)])
        let projJSON = JSONValue.object([("mm_projector_type", .string(preset.projector.rawValue)), ("model_type", .string("v2l_projector"))])
        let defaults: [(String, JSONValue)] = [
            ("model_type", .string("llava_llama")), ("architectures", .array([.string("LlavaLlamaModel")])),
            ("llm_cfg", llmJSON), ("vision_tower_cfg", visionJSON), ("mm_projector_cfg", projJSON),
            ("mm_vision_select_layer", .int(-2)), ("mm_vision_select_feature", .string(preset.selectFeature.rawValue)),
            ("image_aspect_ratio", .string("resize")),
        ]
        let replaced = Set(preset.top.map(\.0))
        let top = JSONValue.object(defaults.filter { !replaced.contains($0.0) } + preset.top)
        return [("config.json", top), ("llm/config.json", llmJSON), ("vision_tower/config.json", visionJSON),
                ("mm_projector/config.json", projJSON)]
    }

    /// The config a preset's checkpoint has, without writing it.
    public static func config(_ preset: Preset, dtype: DType = .f16) throws -> VLMConfig {
        let files = Dictionary(uniqueKeysWithValues: configFiles(preset, dtype: dtype).map { ($0.0, Array($0.1.serialized.utf8)) })
        return try ConfigLoader.read(MemoryConfigSource(container: "preset " + preset.name, files: files), layout: .vila)
    }

    /// Writes the preset as a VILA folder at `folder` (created; must not exist). LLM weights
    /// are split into shards of at most `shardBytes`. `progress` gets (bytes written, total).
    public static func write(_ preset: Preset, to folder: String, dtype: DType = .f16, seed: UInt64 = 0,
                             shardBytes: Int = 2 << 30, progress: @escaping (Int, Int) -> Void = { _, _ in }) throws -> VLMConfig {
        precondition([.f32, .f16, .bf16].contains(dtype))
        try FileSystem.makeDirectory(folder)
        for sub in LayoutKind.vila.folders { try FileSystem.makeDirectory(Path.join(folder, sub)) }
        for (path, json) in configFiles(preset, dtype: dtype) {
            try FileSystem.writeText(json.serialized, to: Path.join(folder, path))
        }
        let config = try ConfigLoader.readVILA(folder: folder)

        let specs = ModelDescription(config).checkpointSpecs(config, layout: .vila)
        let total = specs.reduce(0) { $0 + $1.shape.elementCount * dtype.byteSize }
        var written = 0
        for sub in LayoutKind.vila.folders {
            let mine = specs.filter { $0.folder == sub }
            var shards: [[TensorSpec]] = [[]]
            var size = 0
            for s in mine {
                let n = s.shape.elementCount * dtype.byteSize
                if size > 0 && size + n > shardBytes { shards.append([]); size = 0 }
                shards[shards.count - 1].append(s)
                size += n
            }
            var weightMap: [(String, JSONValue)] = []
            for (i, shard) in shards.enumerated() {
                let file = shards.count == 1 ? "model.safetensors" : "model-\(pad5(i + 1))-of-\(pad5(shards.count)).safetensors"
                var w = SafetensorsWriter(metadata: ["format": "pt"])
                for s in shard {
                    let name = s.name
                    let seedForTensor = seed &+ stableHash(name)
                    try w.add(name, dtype: dtype, shape: s.shape) {
                        let bytes = randomTensor(s, dtype: dtype, seed: seedForTensor)
                        written += bytes.count
                        progress(written, total)
                        return bytes
                    }
                    weightMap.append((name, .string(file)))
                }
                try w.write(to: Path.join(Path.join(folder, sub), file))
            }
            if shards.count > 1 {
                let folderBytes = mine.reduce(0) { $0 + $1.shape.elementCount * dtype.byteSize }
                let index = JSONValue.object([("metadata", .object([("total_size", .int(Int64(folderBytes)))])),
                                              ("weight_map", .object(weightMap))])
                try FileSystem.writeText(index.serialized, to: Path.join(Path.join(folder, sub), "model.safetensors.index.json"))
            }
        }
        return config
    }

    static func pad5(_ i: Int) -> String { let s = String(i); return String(repeating: "0", count: max(0, 5 - s.count)) + s }

    static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static func randomTensor(_ s: TensorSpec, dtype: DType, seed: UInt64) -> [UInt8] {
        let n = s.shape.elementCount
        var values = [Float](repeating: 1, count: n)
        if !s.isNormScale {
            let fanIn = s.shape.rank > 1 ? s.shape.dims.dropFirst().reduce(1, *) : s.shape.dims.first ?? 1
            let scale = 1 / Float(max(fanIn, 1)).squareRoot() * (s.shape.rank > 1 ? 1 : 0.05)
            var state = seed | 1
            for i in 0..<n {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                values[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
            }
        }
        return TensorEncoding.encode(values, as: dtype)
    }
}
