import ModelGraph

/// The Llama language model with f32 weights and a KV cache.
// Unchecked Sendable: weights are `let`s set in init and only read afterwards (layers hold
// `any LinearOperator` existentials, which the compiler cannot prove Sendable); per-call state lives in KVCache.
public final class LlamaRunner: @unchecked Sendable {
    typealias Layer = LlamaLayerWeights<any LinearOperator, [Float]>

    public let config: LlamaConfig
    /// The embedding table [V, H], used in place (rows widened as they are looked up); also the
    /// output layer when the embeddings are tied.
    let embed: any LinearOperator
    let layers: [Layer]
    let norm: [Float]
    let head: any LinearOperator
    let rope: RotaryEmbedding

    public init(_ w: any WeightSource) throws {
        let c = w.config.llm
        config = c
        let m = try LlamaDecoderFamily.bind(RuntimeSlots(w), w.config)
        embed = m.embedTokens
        layers = m.layers
        norm = m.norm
        head = m.lmHead ?? embed
        rope = RotaryEmbedding(headDim: c.headDim, theta: c.ropeTheta, scaling: c.ropeScaling)
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

    /// The embedding rows [ids.count, H] of token ids. This is where ids enter the runner, so it
    /// is where they are checked: an id outside 0..<vocab is an error naming its position.
    public func embeddings<S: Sequence>(of ids: S) throws -> [Float] where S.Element: BinaryInteger {
        try embed.embeddingRows(ids)
    }

    /// The embedding row of one token id (checked as in `embeddings(of:)`).
    public func embedding(of token: Int) throws -> [Float] {
        try embeddings(of: CollectionOfOne(token))
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
            // q, k and v read the same input: one parallel pass over their output features (gate/up below too).
            let qkv = FusedLinear.forward([l.q, l.k, l.v], h, rows: tokens)
            var q = qkv[0], k = qkv[1]
            let v = qkv[2]
            rope.apply(&q, tokens: tokens, heads: c.numHeads, startPosition: start)
            rope.apply(&k, tokens: tokens, heads: c.numKVHeads, startPosition: start)
            cache.keys[li] += k
            cache.values[li] += v
            let a = Attention.forward(q: q, k: cache.keys[li], v: cache.values[li], tq: tokens, tk: start + tokens,
                                      heads: c.numHeads, kvHeads: c.numKVHeads, headDim: c.headDim, causalOffset: start)
            Kernels.add(&x, l.o.forward(a, rows: tokens))
            let h2 = Kernels.rmsNorm(x, width: hsz, weight: l.mlpNorm, eps: eps)
            let gateUp = FusedLinear.forward([l.gate, l.up], h2, rows: tokens)
            let g = gateUp[0]
            var u = gateUp[1]
            Kernels.fastMultiplyBySiLU(&u, gate: g)
            Kernels.add(&x, l.down.forward(u, rows: tokens))
        }
        cache.advance(by: tokens)
        let rows = allLogits ? tokens : 1
        let last = allLogits ? x : Array(x[((tokens - 1) * hsz)...])
        let normed = Kernels.rmsNorm(last, width: hsz, weight: norm, eps: eps)
        return head.forward(normed, rows: rows)
    }
}
