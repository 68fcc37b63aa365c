import ModelGraph
import ReferenceRuntime

/// The parts of a Llama decoder layer AWQ evaluates, on calibration activations kept as one
/// [tokens, width] buffer plus the lengths of the sequences it concatenates (attention never
/// crosses a sequence boundary).
struct AWQBlocks {
    let config: LlamaConfig
    let rope: RotaryEmbedding
    let lengths: [Int]

    init(config: LlamaConfig, lengths: [Int]) {
        self.config = config
        self.lengths = lengths
        rope = RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta, scaling: config.ropeScaling)
    }

    var tokens: Int { lengths.reduce(0, +) }

    static func linear(_ w: [Float], _ x: [Float], rows: Int, out: Int, inF: Int, bias: [Float]? = nil) -> [Float] {
        Matmul.blas(x: x, m: rows, k: inF, weight: w, n: out, bias: bias)
    }

    /// The layer's Linear biases (nil where the config has none: Llama without `attention_bias`;
    /// Qwen2 has q/k/v ones). A scale folded into a Linear's inputs leaves its bias as it is.
    struct Biases {
        var q: [Float]? = nil, k: [Float]? = nil, v: [Float]? = nil, o: [Float]? = nil
        var gate: [Float]? = nil, up: [Float]? = nil, down: [Float]? = nil
    }
    var biases = Biases()

    /// Attention context (before o_proj) for normalized inputs `xn`.
    func attentionContext(xn: [Float], q qw: [Float], k kw: [Float], v vw: [Float]) -> [Float] {
        let c = config, h = c.hiddenSize, t = tokens
        var q = Self.linear(qw, xn, rows: t, out: c.numHeads * c.headDim, inF: h, bias: biases.q)
        var k = Self.linear(kw, xn, rows: t, out: c.numKVHeads * c.headDim, inF: h, bias: biases.k)
        let v = Self.linear(vw, xn, rows: t, out: c.numKVHeads * c.headDim, inF: h, bias: biases.v)
        let qs = c.numHeads * c.headDim, ks = c.numKVHeads * c.headDim
        var ctx = [Float]()
        ctx.reserveCapacity(t * qs)
        var start = 0
        for n in lengths {
            var qi = Array(q[(start * qs)..<((start + n) * qs)])
            var ki = Array(k[(start * ks)..<((start + n) * ks)])
            rope.apply(&qi, tokens: n, heads: c.numHeads, startPosition: 0)
            rope.apply(&ki, tokens: n, heads: c.numKVHeads, startPosition: 0)
            let vi = Array(v[(start * ks)..<((start + n) * ks)])
            ctx += Attention.forward(q: qi, k: ki, v: vi, tq: n, tk: n, heads: c.numHeads, kvHeads: c.numKVHeads,
                                     headDim: c.headDim, causalOffset: 0)
            start += n
        }
        q = []; k = []
        return ctx
    }

    /// SiLU(gate·x) ⊙ (up·x): the input of down_proj.
    func mlpIntermediate(xn: [Float], gate: [Float], up: [Float]) -> [Float] {
        let c = config, t = tokens
        let g = Self.linear(gate, xn, rows: t, out: c.intermediateSize, inF: c.hiddenSize, bias: biases.gate)
        var u = Self.linear(up, xn, rows: t, out: c.intermediateSize, inF: c.hiddenSize, bias: biases.up)
        Kernels.multiplyBySiLU(&u, gate: g)
        return u
    }

    /// Mean squared difference.
    static func mse(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for i in 0..<a.count { let d = Double(a[i]) - Double(b[i]); s += d * d }
        return a.isEmpty ? 0 : s / Double(a.count)
    }
}
