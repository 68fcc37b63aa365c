/// One Llama decoder layer, generic over how a binding holds Linear layers and vectors: the
/// graph holds `TensorRef`s, the runtime operators and floats, AWQ plain weight values.
public struct LlamaLayerWeights<Linear, Vector> {
    public let attnNorm: Vector
    public let q: Linear, k: Linear, v: Linear, o: Linear
    public let mlpNorm: Vector
    public let gate: Linear, up: Linear, down: Linear

    public init(attnNorm: Vector, q: Linear, k: Linear, v: Linear, o: Linear, mlpNorm: Vector,
                gate: Linear, up: Linear, down: Linear) {
        self.attnNorm = attnNorm
        self.q = q; self.k = k; self.v = v; self.o = o
        self.mlpNorm = mlpNorm
        self.gate = gate; self.up = up; self.down = down
    }
}

/// The Llama language model. `lmHead` is nil when the embeddings are tied. The embedding
/// table [vocab, hidden] is bound like a Linear weight: the runtime reads its rows in place
/// and, when tied, multiplies with it as the output layer.
public struct LlamaWeights<Linear, Vector> {
    public let embedTokens: Linear
    public let layers: [LlamaLayerWeights<Linear, Vector>]
    public let norm: Vector
    public let lmHead: Linear?
}

extension LlamaLayerWeights where Linear == Vector {
    /// Every tensor of the layer in declared order (when Linear layers and vectors are bound alike).
    public var all: [Vector] { [attnNorm, q, k, v, o, mlpNorm, gate, up, down] }
}

extension LlamaLayerWeights: Sendable where Linear: Sendable, Vector: Sendable {}
extension LlamaWeights: Sendable where Linear: Sendable, Vector: Sendable {}

/// `LlamaForCausalLM` (transformers' `LlamaModel` plus `lm_head`), and `Qwen2ForCausalLM`, which
/// stores the same names (its q/k/v biases follow from the config's architecture): names
/// relative to the decoder's `model.` prefix and to the model's own prefix for the head.
public enum LlamaDecoderFamily {
    static func h(_ c: VLMConfig) -> Int { c.llm.hiddenSize }
    static func qd(_ c: VLMConfig) -> Int { c.llm.numHeads * c.llm.headDim }
    static func kvd(_ c: VLMConfig) -> Int { c.llm.numKVHeads * c.llm.headDim }
    static let qkvBias: @Sendable (VLMConfig) -> Bool = { $0.llm.qkvBias }
    static let outputBias: @Sendable (VLMConfig) -> Bool = { $0.llm.outputBias }
    static let mlpBias: @Sendable (VLMConfig) -> Bool = { $0.llm.mlpBias }

    public static let embed = ModuleDecl(.embedding, slot: "llm.embed_tokens", names: "embed_tokens", gguf: "token_embd") {
        [$0.llm.vocabSize, h($0)]
    }
    public static let attnNorm = ModuleDecl.rmsNorm("llm.layers.{L}.attn_norm", "layers.{L}.input_layernorm",
                                                    gguf: "blk.{L}.attn_norm", width: h)
    public static let q = ModuleDecl.linear("llm.layers.{L}.attn.q", "layers.{L}.self_attn.q_proj", gguf: "blk.{L}.attn_q",
                                            bias: qkvBias) { [qd($0), h($0)] }
    public static let k = ModuleDecl.linear("llm.layers.{L}.attn.k", "layers.{L}.self_attn.k_proj", gguf: "blk.{L}.attn_k",
                                            bias: qkvBias) { [kvd($0), h($0)] }
    public static let v = ModuleDecl.linear("llm.layers.{L}.attn.v", "layers.{L}.self_attn.v_proj", gguf: "blk.{L}.attn_v",
                                            bias: qkvBias) { [kvd($0), h($0)] }
    public static let o = ModuleDecl.linear("llm.layers.{L}.attn.o", "layers.{L}.self_attn.o_proj", gguf: "blk.{L}.attn_output",
                                            bias: outputBias) { [h($0), qd($0)] }
    public static let mlpNorm = ModuleDecl.rmsNorm("llm.layers.{L}.mlp_norm", "layers.{L}.post_attention_layernorm",
                                                   gguf: "blk.{L}.ffn_norm", width: h)
    public static let gate = ModuleDecl.linear("llm.layers.{L}.mlp.gate", "layers.{L}.mlp.gate_proj", gguf: "blk.{L}.ffn_gate",
                                               bias: mlpBias) { [$0.llm.intermediateSize, h($0)] }
    public static let up = ModuleDecl.linear("llm.layers.{L}.mlp.up", "layers.{L}.mlp.up_proj", gguf: "blk.{L}.ffn_up",
                                             bias: mlpBias) { [$0.llm.intermediateSize, h($0)] }
    public static let down = ModuleDecl.linear("llm.layers.{L}.mlp.down", "layers.{L}.mlp.down_proj", gguf: "blk.{L}.ffn_down",
                                               bias: mlpBias) { [h($0), $0.llm.intermediateSize] }
    public static let norm = ModuleDecl.rmsNorm("llm.norm", "norm", gguf: "output_norm", width: h)
    public static let lmHead = ModuleDecl.linear(
        "llm.lm_head", "lm_head", gguf: "output", bias: { _ in false }, present: { !$0.llm.tieWordEmbeddings },
        absentReason: "tie_word_embeddings is true: the output layer reuses embed_tokens (transformers discards this copy)"
    ) { [$0.llm.vocabSize, h($0)] }

    public static let description = FamilyDescription("llama", label: "language model", layers: { $0.llm.numLayers }, parts: [
        FamilyPart("llama-decoder", role: .decoder, [embed, attnNorm, q, k, v, o, mlpNorm, gate, up, down, norm], ignored: [
            ("layers.{L}.self_attn.rotary_emb.inv_freq", "rotary frequency buffer saved by old transformers; recomputed from the config"),
        ]),
        FamilyPart("llama-head", role: .head, [lmHead]),
    ])

    /// One decoder layer's modules, bound through `s`.
    public static func layer<S: SlotLookup>(_ l: Int, _ s: S) throws -> LlamaLayerWeights<S.LinearValue, S.TensorValue> {
        LlamaLayerWeights(attnNorm: try s.values(attnNorm, l), q: try s.linear(q, l), k: try s.linear(k, l),
                          v: try s.linear(v, l), o: try s.linear(o, l), mlpNorm: try s.values(mlpNorm, l),
                          gate: try s.linear(gate, l), up: try s.linear(up, l), down: try s.linear(down, l))
    }

    /// The whole language model bound through `s` (the head only when the config has one).
    public static func bind<S: SlotLookup>(_ s: S, _ config: VLMConfig) throws -> LlamaWeights<S.LinearValue, S.TensorValue> {
        LlamaWeights(embedTokens: try s.linear(prefix: embed.slotPrefix()),
                     layers: try (0..<config.llm.numLayers).map { try layer($0, s) },
                     norm: try s.values(norm, nil),
                     lmHead: lmHead.present(config) ? try s.linear(lmHead, nil) : nil)
    }
}
