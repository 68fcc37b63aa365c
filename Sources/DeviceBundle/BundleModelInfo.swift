import ModelGraph
import TensorIO

/// The architecture summary written into a bundle's manifest, for device runtimes that do not
/// parse Hugging Face configs (the configs themselves travel in the bundle too).
enum BundleModelInfo {
    static func describe(_ c: VLMConfig) -> JSONValue {
        let l = c.llm, v = c.vision
        var rope: [(key: String, value: JSONValue)] = [("theta", .double(l.ropeTheta))]
        switch l.ropeScaling {
        case nil: rope.append(("scaling", .string("none")))
        case let .linear(f)?: rope += [("scaling", .string("linear")), ("factor", .double(f))]
        case let .llama3(f, lo, hi, orig)?:
            rope += [("scaling", .string("llama3")), ("factor", .double(f)), ("low_freq_factor", .double(lo)),
                     ("high_freq_factor", .double(hi)), ("original_max_position_embeddings", .int(Int64(orig)))]
        }
        func i(_ x: Int) -> JSONValue { .int(Int64(x)) }
        return .object([
            ("vision", .object([("kind", .string(v.kind.rawValue)), ("image_size", i(v.imageSize)), ("patch_size", i(v.patchSize)),
                                ("hidden_size", i(v.hiddenSize)), ("intermediate_size", i(v.intermediateSize)),
                                ("layers", i(v.numLayers)), ("heads", i(v.numHeads)), ("layer_norm_eps", .double(v.layerNormEps)),
                                ("hidden_act", .string(v.hiddenAct)), ("select_layer", i(c.selectLayer)),
                                ("select_feature", .string(c.selectFeature.rawValue))] + intern(v))),
            ("projector", .object(projector(c))),
            ("tiling", tiling(c)),
            ("image_encoder", imageEncoder(c)),
            ("llm", .object([("architecture", .string(l.architecture.rawValue)), ("q_k_v_bias", .bool(l.qkvBias)),
                             ("o_bias", .bool(l.outputBias)), ("mlp_bias", .bool(l.mlpBias)),
                             ("hidden_size", i(l.hiddenSize)), ("intermediate_size", i(l.intermediateSize)),
                             ("layers", i(l.numLayers)), ("heads", i(l.numHeads)), ("kv_heads", i(l.numKVHeads)),
                             ("head_dim", i(l.headDim)), ("vocab_size", i(l.vocabSize)),
                             ("max_position_embeddings", i(l.maxPositionEmbeddings)), ("rms_norm_eps", .double(l.rmsNormEps)),
                             ("rope", .object(rope)), ("tie_word_embeddings", .bool(l.tieWordEmbeddings))])),
        ])
    }

    /// `image_tokens` is per projector call: per image, or per block with dynamic S2.
    static func projector(_ c: VLMConfig) -> [(String, JSONValue)] {
        let p = c.projector
        var out: [(String, JSONValue)] = [("type", .string(p.type.rawValue)), ("input_size", .int(Int64(p.inputSize))),
                                          ("output_size", .int(Int64(p.textHiddenSize))),
                                          ("image_tokens", .int(Int64((try? c.imageTokens.get()) ?? 0)))]
        if let k = p.type.mergeFactor {
            out += [("merge", .int(Int64(k))), ("merge_order", .string(p.mergeOrder.rawValue))]
        }
        return out
    }

    /// InternViT's options (RMSNorm, fused qkv, layer scales and a class token are implied by the kind).
    static func intern(_ v: VisionConfig) -> [(String, JSONValue)] {
        v.kind == .intern ? [("qkv_bias", .bool(v.qkvBias)), ("qk_normalization", .bool(v.qkNormalization))] : []
    }

    /// The text NVILA's image encoder embeds before and after every image's features (tokenized
    /// by the model's tokenizer), or null when nothing is added (VILA 1.5, LLaVA-HF).
    static func imageEncoder(_ c: VLMConfig) -> JSONValue {
        guard let e = c.imageEncoder else { return .null }
        return .object([("start_tokens", e.startTokens.map { .string($0) } ?? .null), ("end_tokens", e.endTokens.map { .string($0) } ?? .null)])
    }

    /// How images become tower inputs: `single`, `dynamic_s2`, `dynamic` (tiles + thumbnail) or
    /// `multi_scale_s2` with its scales.
    static func tiling(_ c: VLMConfig) -> JSONValue {
        func ints(_ v: [Int]) -> JSONValue { .array(v.map { .int(Int64($0)) }) }
        if let s2 = c.dynamicS2 {
            return .object([("mode", .string("dynamic_s2")), ("scales", ints(s2.scales)), ("max_tiles", .int(Int64(s2.maxTiles))),
                            ("resize_output_to", .int(Int64(s2.resizeOutputTo)))])
        }
        if let s2 = c.multiScaleS2 {
            return .object([("mode", .string("multi_scale_s2")), ("scales", ints(s2.scales)), ("max_split_size", .int(Int64(s2.maxSplitSize))),
                            ("resize_output_to", .int(Int64(s2.resizeOutputTo)))])
        }
        if let d = c.dynamicTiling {
            return .object([("mode", .string("dynamic")), ("tile_size", .int(Int64(d.tileSize))), ("min_tiles", .int(Int64(d.minTiles))),
                            ("max_tiles", .int(Int64(d.maxTiles))), ("thumbnail", .bool(true))])
        }
        return .object([("mode", .string("single"))])
    }
}
