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
                                ("select_feature", .string(c.selectFeature.rawValue))])),
            ("projector", .object([("type", .string(c.projector.type.rawValue)), ("input_size", i(c.projector.inputSize)),
                                   ("output_size", i(c.projector.textHiddenSize)),
                                   ("image_tokens", i((try? c.imageTokens.get()) ?? 0))])),
            ("llm", .object([("hidden_size", i(l.hiddenSize)), ("intermediate_size", i(l.intermediateSize)),
                             ("layers", i(l.numLayers)), ("heads", i(l.numHeads)), ("kv_heads", i(l.numKVHeads)),
                             ("head_dim", i(l.headDim)), ("vocab_size", i(l.vocabSize)),
                             ("max_position_embeddings", i(l.maxPositionEmbeddings)), ("rms_norm_eps", .double(l.rmsNormEps)),
                             ("rope", .object(rope)), ("tie_word_embeddings", .bool(l.tieWordEmbeddings))])),
        ])
    }
}
