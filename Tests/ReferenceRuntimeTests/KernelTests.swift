import TestSupport
import Foundation
import Testing
import TensorCore
@testable import ReferenceRuntime
import ModelGraph

@Suite struct KernelTests {
    /// DownSample.merge against a literal port of VILA's flat_square done with strided views
    /// (base_projector.py, NVlabs/VILA 36f6adc): pad, view [s, s/k, kC], permute (1, 0, 2),
    /// view [s/k, s/k, k²C], and — NVILA only — a final permute (1, 0, 2).
    @Test(arguments: [(1, 2), (2, 2), (3, 2), (5, 2), (6, 2), (27, 2), (1, 3), (4, 3), (5, 3), (6, 3), (32, 3)])
    func downsampleMatchesTheViewPermuteSequence(_ a: (s: Int, k: Int)) {
        let (s, k, c) = (a.s, a.k, 3)
        let x = (0..<(s * s * c)).map { Float($0) + 0.5 }
        let p = (s + k - 1) / k * k
        var padded = [Float](repeating: 0, count: p * p * c)
        for r in 0..<s { for q in 0..<s { for e in 0..<c { padded[(r * p + q) * c + e] = x[(r * s + q) * c + e] } } }
        let t = Tensor(shape: [p, p / k, k * c], data: padded)            // view [w, h/k, kc]
        let permuted = t.gather(t.view.permuted([1, 0, 2]))               // [h/k, w, kc], contiguous
        let vila15 = permuted.reshaped([p / k, p / k, k * k * c])          // view [h/k, w/k, k²c]
        let nvila = vila15.gather(vila15.view.permuted([1, 0, 2]))          // NVILA's last permute
        for (order, reference) in [(TokenMergeOrder.vila15, vila15.data), (.nvila, nvila.data)] {
            let (ours, tokens) = DownSample.merge(x, tokens: s * s, width: c, factor: k, order: order)
            #expect(tokens == (p / k) * (p / k))
            #expect(ours == reference, "s \(s) k \(k) \(order)")
        }
    }

    @Test func layerNormAndRMSNormMatchTheirDefinitions() {
        var x: [Float] = [1, 2, 3, 4, -1, 0, 1, 2]
        Kernels.layerNorm(&x, width: 4, weight: [1, 1, 1, 1], bias: [0, 0, 0, 0], eps: 0)
        let mean: Float = 2.5, sd = Float((1.25 as Double).squareRoot())
        #expect(zip(x.prefix(4), [1, 2, 3, 4].map { ($0 - mean) / sd }).allSatisfy { abs($0 - $1) < 1e-6 })
        let r = Kernels.rmsNorm([3, 4], width: 2, weight: [2, 1], eps: 0)
        let rms = Float((12.5 as Double).squareRoot())
        #expect(abs(r[0] - 6 / rms) < 1e-6 && abs(r[1] - 4 / rms) < 1e-6)
    }

    @Test func activationsAtKnownPoints() {
        #expect(abs(Kernels.geluErf(1) - 0.8413447) < 1e-6)
        #expect(abs(Kernels.geluTanh(1) - 0.8411920) < 1e-6)
        #expect(abs(Kernels.quickGelu(1) - 1 / (1 + Float(exp(-1.702)))) < 1e-6)
        #expect(abs(Kernels.silu(2) - 2 / (1 + Float(exp(-2.0)))) < 1e-6)
        #expect(Kernels.activation(named: "relu") == nil)
    }

    @Test func argmaxTakesTheFirstOfTies() {
        #expect(Kernels.argmax([1, 3, 3, 2][...]) == 1)
    }

    @Test func causalAttentionIgnoresTheFutureAndGroupsKVHeads() {
        // 2 query heads sharing one KV head, head dim 2, 3 positions.
        var g = SplitMix(seed: 7)
        let q = (0..<12).map { _ in g.nextFloat() }, k = (0..<6).map { _ in g.nextFloat() }, v = (0..<6).map { _ in g.nextFloat() }
        let full = Attention.forward(q: q, k: k, v: v, tq: 3, tk: 3, heads: 2, kvHeads: 1, headDim: 2, causalOffset: 0)
        // Changing the last key/value must not change the first two positions.
        var k2 = k, v2 = v
        k2[4] += 5; v2[5] -= 3
        let changed = Attention.forward(q: q, k: k2, v: v2, tq: 3, tk: 3, heads: 2, kvHeads: 1, headDim: 2, causalOffset: 0)
        #expect(Array(full.prefix(8)) == Array(changed.prefix(8)))
        #expect(Array(full.suffix(4)) != Array(changed.suffix(4)))
        // Position 0 attends only to itself: output equals v[0] for both heads.
        #expect(Array(full.prefix(4)) == [v[0], v[1], v[0], v[1]])
        // One query at offset 2 against the cache equals the last row of the full computation.
        let last = Attention.forward(q: Array(q.suffix(4)), k: k, v: v, tq: 1, tk: 3, heads: 2, kvHeads: 1, headDim: 2, causalOffset: 2)
        #expect(zip(last, full.suffix(4)).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// The OpenBLAS attention against the naive one: with and without a causal mask, grouped
    /// heads, a cache offset, odd sizes.
    @Test(arguments: [(1, 1, 1, 1, 2, nil), (5, 5, 4, 2, 8, 0), (3, 9, 6, 3, 4, 6), (7, 7, 2, 2, 3, nil), (1, 13, 8, 1, 16, 12)] as [(Int, Int, Int, Int, Int, Int?)])
    func blasAttentionMatchesNaive(_ c: (tq: Int, tk: Int, heads: Int, kv: Int, hd: Int, offset: Int?)) {
        var g = SplitMix(seed: UInt64(c.tq * 100 + c.tk))
        let q = (0..<(c.tq * c.heads * c.hd)).map { _ in g.nextFloat() * 2 }
        let k = (0..<(c.tk * c.kv * c.hd)).map { _ in g.nextFloat() * 2 }
        let v = (0..<(c.tk * c.kv * c.hd)).map { _ in g.nextFloat() }
        let fast = Attention.forward(q: q, k: k, v: v, tq: c.tq, tk: c.tk, heads: c.heads, kvHeads: c.kv, headDim: c.hd, causalOffset: c.offset)
        let slow = Attention.naive(q: q, k: k, v: v, tq: c.tq, tk: c.tk, heads: c.heads, kvHeads: c.kv, headDim: c.hd, causalOffset: c.offset)
        #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func rotaryEmbeddingRotatesPairsHalfApartAndKeepsNorms() {
        let rope = RotaryEmbedding(headDim: 4, theta: 10000, scaling: nil)
        #expect(rope.invFreq == [1, 0.01])
        var x: [Float] = [1, 0, 0, 0]
        rope.apply(&x, tokens: 1, heads: 1, startPosition: 1)
        // dim 0 pairs with dim 2, angle = 1 rad
        #expect(abs(x[0] - Float(cos(1.0))) < 1e-6 && abs(x[2] - Float(sin(1.0))) < 1e-6)
        var y: [Float] = [0.3, -1, 2, 0.5]
        let n0 = y.reduce(0) { $0 + $1 * $1 }
        rope.apply(&y, tokens: 1, heads: 1, startPosition: 17)
        #expect(abs(y.reduce(0) { $0 + $1 * $1 } - n0) < 1e-5)
    }

    @Test func llama3RopeScalingFollowsItsThreeBands() {
        // original 8192, low 1, high 4, factor 8: wavelengths < 2048 kept, > 8192 divided by 8.
        let plain = RotaryEmbedding(headDim: 128, theta: 500000, scaling: nil)
        let scaled = RotaryEmbedding(headDim: 128, theta: 500000,
                                     scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192))
        for (p, s) in zip(plain.invFreq, scaled.invFreq) {
            let wavelen = 2 * Double.pi / Double(p)
            if wavelen < 2048 { #expect(s == p) }
            else if wavelen > 8192 { #expect(abs(s - p / 8) <= 1e-12 + 1e-6 * p) }
            else {
                // transformers' _compute_llama3_parameters: a linear ramp in 8192 / wavelength.
                let smooth = (8192 / wavelen - 1) / (4 - 1)
                let want = (1 - smooth) * Double(p) / 8 + smooth * Double(p)
                #expect(abs(Double(s) - want) <= 1e-6 * Double(p), "wavelength \(wavelen)")
            }
        }
        let linear = RotaryEmbedding(headDim: 8, theta: 10000, scaling: .linear(factor: 4))
        #expect(zip(linear.invFreq, RotaryEmbedding(headDim: 8, theta: 10000, scaling: nil).invFreq).allSatisfy { $0 == $1 / 4 })
    }

    /// FloatLinear (OpenBLAS) against the naive matmul on awkward shapes, with and without bias.
    @Test(arguments: [(1, 1, 1), (5, 7, 3), (13, 64, 33), (2, 129, 65)])
    func floatLinearMatchesNaive(_ s: (Int, Int, Int)) {
        var g = SplitMix(seed: UInt64(s.0 * 7 + s.1 * 3 + s.2))
        let (rows, k, n) = s
        let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<(rows * k)).map { _ in g.nextFloat() }
        let b = (0..<n).map { _ in g.nextFloat() }
        for bias in [nil, b] {
            let fast = FloatLinear(weight: w, bias: bias, outFeatures: n, inFeatures: k).forward(x, rows: rows)
            let slow = Matmul.naive(x: x, m: rows, k: k, weight: w, n: n, bias: bias)
            #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 * Float(k) })
        }
    }
}

/// The half-precision Linear (decode kernel for ≤ 4 rows, widened blocks + sgemm above) against
/// its Double-accumulating oracle, for f16 and bf16, with and without bias.
@Suite struct HalfLinearTests {
    @Test(arguments: [(1, 7, 40), (3, 33, 64), (4, 600, 96), (9, 513, 48), (2, 1, 1)] as [(Int, Int, Int)])
    func fastMatchesNaive(_ s: (m: Int, n: Int, k: Int)) {
        var g = SplitMix(seed: UInt64(s.m * 1000 + s.n * 10 + s.k))
        let w = (0..<(s.n * s.k)).map { _ in g.nextFloat() }
        let x = (0..<(s.m * s.k)).map { _ in g.nextFloat() }
        let b = (0..<s.n).map { _ in g.nextFloat() }
        for bf16 in [false, true] {
            let bits = w.map { bf16 ? FloatConversion.f32ToBF16($0) : FloatConversion.f32ToF16($0) }
            for bias in [nil, b] {
                let lin = HalfLinear(weight: bits, isBF16: bf16, bias: bias, outFeatures: s.n, inFeatures: s.k)
                let fast = lin.forward(x, rows: s.m), slow = lin.naiveForward(x, rows: s.m)
                #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 * Float(max(s.k, 8)) }, "\(s) bf16 \(bf16)")
            }
        }
    }

    @Test func decodeDoesNotDependOnThreads() {
        var g = SplitMix(seed: 3)
        let (n, k) = (301, 130)
        let bits = (0..<(n * k)).map { _ in FloatConversion.f32ToF16(g.nextFloat()) }
        let x = (0..<k).map { _ in g.nextFloat() }
        let lin = HalfLinear(weight: bits, isBF16: false, bias: nil, outFeatures: n, inFeatures: k)
        let one = Parallel.withThreads(1) { lin.forward(x, rows: 1) }
        let three = Parallel.withThreads(3) { lin.forward(x, rows: 1) }
        #expect(one == three)
    }
}
