import ModelGraph

/// The Llama language model with f32 weights and a KV cache.
public final class LlamaRunner: @unchecked Sendable {
    struct Layer {
        let attnNorm, mlpNorm: [Float]
        let q, k, v, o, gate, up, down: any LinearOperator
    }

    public let config: LlamaConfig
    let embed: [Float]          // [V, H]
    let layers: [Layer]
    let norm: [Float]
    let head: any LinearOperator
    let rope: RotaryEmbedding

    public init(_ m: LanguageModel) throws {
        config = m.config
        embed = try m.embedTokens.float32().data
        layers = try m.layers.map {
            Layer(attnNorm: try $0.attnNorm.float32().data, mlpNorm: try $0.mlpNorm.float32().data,
                  q: try FloatLinear($0.q), k: try FloatLinear($0.k), v: try FloatLinear($0.v), o: try FloatLinear($0.o),
                  gate: try FloatLinear($0.gate), up: try FloatLinear($0.up), down: try FloatLinear($0.down))
        }
        norm = try m.norm.float32().data
        if let h = m.lmHead {
            head = try FloatLinear(Affine(weight: h, bias: nil))
        } else {
            head = FloatLinear(weight: embed, bias: nil, outFeatures: m.config.vocabSize, inFeatures: m.config.hiddenSize)
        }
        rope = RotaryEmbedding(headDim: m.config.headDim, theta: m.config.ropeTheta, scaling: m.config.ropeScaling)
    }

    /// Keys and values of every layer for the positions seen so far.
    public struct KVCache {
        var keys: [[Float]]
        var values: [[Float]]
        public private(set) var length = 0

        init(layers: Int) {
            keys = Array(repeating: [], count: layers)
            values = Array(repeating: [], count: layers)
        }

        mutating func advance(by n: Int) { length += n }
    }

    public func makeCache() -> KVCache { KVCache(layers: layers.count) }

    /// The embedding row of one token id.
    public func embedding(of token: Int) -> ArraySlice<Float> {
        let h = config.hiddenSize
        return embed[(token * h)..<((token + 1) * h)]
    }

    /// Runs `tokens` new positions given as embeddings [tokens, H], appending to `cache`;
    /// returns logits [tokens, V] when `allLogits`, else the last position's [V].
    public func forward(_ embeddings: [Float], tokens: Int, cache: inout KVCache, allLogits: Bool) -> [Float] {
        let c = config, hsz = c.hiddenSize, eps = Float(c.rmsNormEps)
        precondition(embeddings.count == tokens * hsz)
        let start = cache.length
        var x = embeddings
        for (li, l) in layers.enumerated() {
            let h = Kernels.rmsNorm(x, width: hsz, weight: l.attnNorm, eps: eps)
            var q = l.q.forward(h, rows: tokens), k = l.k.forward(h, rows: tokens)
            let v = l.v.forward(h, rows: tokens)
            rope.apply(&q, tokens: tokens, heads: c.numHeads, startPosition: start)
            rope.apply(&k, tokens: tokens, heads: c.numKVHeads, startPosition: start)
            cache.keys[li] += k
            cache.values[li] += v
            let a = Attention.forward(q: q, k: cache.keys[li], v: cache.values[li], tq: tokens, tk: start + tokens,
                                      heads: c.numHeads, kvHeads: c.numKVHeads, headDim: c.headDim, causalOffset: start)
            Kernels.add(&x, l.o.forward(a, rows: tokens))
            let h2 = Kernels.rmsNorm(x, width: hsz, weight: l.mlpNorm, eps: eps)
            let g = l.gate.forward(h2, rows: tokens)
            var u = l.up.forward(h2, rows: tokens)
            for i in 0..<u.count { u[i] *= Kernels.silu(g[i]) }
            Kernels.add(&x, l.down.forward(u, rows: tokens))
        }
        cache.advance(by: tokens)
        let rows = allLogits ? tokens : 1
        let last = allLogits ? x : Array(x[((tokens - 1) * hsz)...])
        let normed = Kernels.rmsNorm(last, width: hsz, weight: norm, eps: eps)
        return head.forward(normed, rows: rows)
    }
}
