import TestSupport
import Foundation
import Testing
import TensorCore
@testable import ReferenceRuntime

/// The vectorized exp kernels (activations.c) against the Double forms in `Kernels`, on both
/// kernel paths (AVX2 when present, and the portable C that ARM runs), at lengths around the
/// 8-lane width and at the edges of exp's range.
@Suite struct ActivationKernelTests {
    static let paths: [KernelPath] = [.native, .portable]
    static let edges: [Float] = [0, -0.0, 1e-30, -1e-30, 1, -1, 5, -5, 20, -20, 40, -40, 87, -87, 87.5, -87.5, 88.7, -88.7, 89, -89, 100, -100, 1e4, -1e4]

    static func inputs(_ n: Int, seed: UInt64) -> [Float] {
        var g = SplitMix(seed: seed)
        return (0..<n).map { i in i < edges.count && n > 30 ? edges[i] : g.nextFloat() * 24 - 12 }
    }

    /// Within `ulps` units in the last place of the oracle (absolute 1e-37 near zero).
    static func close(_ a: Float, _ b: Float, ulps: Float) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= max(ulps * b.ulp, 1e-37)
    }

    @Test(arguments: [Activation.silu, .quickGelu, .geluTanh, .geluErf])
    func activationsMatchTheirDoubleForms(_ act: Activation) {
        let oracle: (Float) -> Float
        switch act {
        case .silu: oracle = Kernels.silu
        case .quickGelu: oracle = Kernels.quickGelu
        case .geluTanh: oracle = Kernels.geluTanh
        case .geluErf: oracle = Kernels.geluErf
        }
        for path in Self.paths {
            for n in [0, 1, 7, 8, 9, 31, 5000] {
                let x = Self.inputs(n, seed: UInt64(n) + 11)
                var y = x
                act.apply(&y, kernels: path)
                for i in 0..<n {
                    // The float kernels round exp's argument (as PyTorch's float32 forms do), which
                    // moves the result by up to |argument|·2⁻²⁴ relative; tanh-GELU's 1 − 1/(1 + e^{2u})
                    // also loses bits against a result near 0, so its bound is absolute too.
                    let want = oracle(x[i]), arg: Float
                    switch act {
                    case .silu: arg = x[i]
                    case .quickGelu: arg = 1.702 * x[i]
                    case .geluTanh, .geluErf: arg = 1.6 * (x[i] + 0.044715 * x[i] * x[i] * x[i])
                    }
                    let bound = (8 + 2 * min(abs(arg), 100)) * want.ulp
                    let ok = Self.close(y[i], want, ulps: 8) || abs(y[i] - want) <= bound
                        || (act == .geluTanh && abs(y[i] - want) <= 2e-7 * max(1, abs(x[i])))
                    #expect(ok, "\(act) \(path) x=\(x[i]): \(y[i]) vs \(want)")
                }
            }
        }
    }

    @Test func softmaxMatchesTheDoubleSoftmax() {
        for path in Self.paths {
            for n in [1, 2, 7, 8, 9, 33, 577, 4099] {
                var g = SplitMix(seed: UInt64(n))
                var x = (0..<n).map { _ in g.nextFloat() * 40 - 20 }
                if n > 8 { x[3] = -1e4; x[5] = 60 }
                var fast = x, slow = x
                fast.withUnsafeMutableBufferPointer { Kernels.fastSoftmax($0.baseAddress!, count: n, kernels: path) }
                slow.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: n) }
                #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 4e-7 * max($1, 1e-6) + 1e-12 }, "\(path) n=\(n)")
                #expect(abs(fast.reduce(0, +) - 1) < 1e-5)
            }
            // exp underflows to exactly 0 (as in PyTorch), across a whole vector and in the tail.
            var far: [Float] = [0] + [Float](repeating: -1e4, count: 10)
            far.withUnsafeMutableBufferPointer { Kernels.fastSoftmax($0.baseAddress!, count: 11, kernels: path) }
            #expect(far == [1] + [Float](repeating: 0, count: 10), "\(path)")
        }
    }

    @Test func multiplyBySiLUMatchesItsOracle() {
        for path in Self.paths {
            let g = Self.inputs(1003, seed: 5), u0 = Self.inputs(1003, seed: 6)
            var fast = u0, slow = u0
            Kernels.fastMultiplyBySiLU(&fast, gate: g, kernels: path)
            Kernels.multiplyBySiLU(&slow, gate: g)
            #expect(zip(fast, slow).allSatisfy { Self.close($0, $1, ulps: 8) }, "\(path)")
        }
    }

    /// Many-row products (pieces of output columns) and attention (pieces = heads) give the same
    /// bits for any thread count.
    @Test func piecesDoNotDependOnTheThreadCount() {
        var g = SplitMix(seed: 21)
        let (m, n, k) = (37, 600, 70)
        let bits = (0..<(n * k)).map { _ in FloatConversion.f32ToF16(g.nextFloat()) }
        let x = (0..<(m * k)).map { _ in g.nextFloat() }
        let lin = HalfLinear(weight: bits, isBF16: false, bias: nil, outFeatures: n, inFeatures: k)
        let one = Parallel.withThreads(1) { lin.forward(x, rows: m) }
        #expect(Parallel.withThreads(3) { lin.forward(x, rows: m) } == one)
        // Vision-sized row counts take 512-row pieces: the same for any thread count, and the product.
        let (m2, n2, k2) = (300, 1100, 24)
        let bits2 = (0..<(n2 * k2)).map { _ in FloatConversion.f32ToF16(g.nextFloat()) }
        let x2 = (0..<(m2 * k2)).map { _ in g.nextFloat() }
        let big = HalfLinear(weight: bits2, isBF16: false, bias: nil, outFeatures: n2, inFeatures: k2)
        #expect(BlockedLinear.pieceRows(rows: m2) == 512)
        let y2 = Parallel.withThreads(1) { big.forward(x2, rows: m2) }
        #expect(Parallel.withThreads(3) { big.forward(x2, rows: m2) } == y2)
        let w2 = bits2.map(FloatConversion.f16ToF32)
        for (r, c) in [(0, 0), (299, 1099), (150, 511), (7, 512), (42, 1024)] {
            let exact = (0..<k2).reduce(0.0) { $0 + Double(x2[r * k2 + $1]) * Double(w2[c * k2 + $1]) }
            #expect(abs(Double(y2[r * n2 + c]) - exact) < 1e-4, "(\(r), \(c))")
        }
        let q = (0..<(29 * 6 * 16)).map { _ in g.nextFloat() }, kv = (0..<(29 * 2 * 16)).map { _ in g.nextFloat() }
        let attention = { Attention.forward(q: q, k: kv, v: kv, tq: 29, tk: 29, heads: 6, kvHeads: 2, headDim: 16, causalOffset: 0) }
        #expect(Parallel.withThreads(1, attention) == Parallel.withThreads(3, attention))
        // Decoding rows (attention.c, one call per head and row) against the cache.
        let q1 = Array(q.prefix(2 * 6 * 16))
        let decode = { Attention.forward(q: q1, k: kv, v: kv, tq: 2, tk: 29, heads: 6, kvHeads: 2, headDim: 16, causalOffset: 27) }
        #expect(Parallel.withThreads(1, decode) == Parallel.withThreads(3, decode))
    }

    /// The decoding attention kernel on both paths against the naive attention, with head sizes
    /// that do and do not fill 8 lanes.
    @Test(arguments: [(64, 40), (3, 5), (12, 1), (80, 130)] as [(Int, Int)])
    func decodingAttentionMatchesNaive(_ s: (hd: Int, tk: Int)) {
        var g = SplitMix(seed: UInt64(s.hd * 1000 + s.tk))
        let heads = 4, kvHeads = 2, tq = 3
        let q = (0..<(tq * heads * s.hd)).map { _ in g.nextFloat() * 2 }
        let k = (0..<(s.tk * kvHeads * s.hd)).map { _ in g.nextFloat() * 2 }, v = (0..<(s.tk * kvHeads * s.hd)).map { _ in g.nextFloat() }
        let offset = max(0, s.tk - tq)
        let slow = Attention.naive(q: q, k: k, v: v, tq: tq, tk: s.tk, heads: heads, kvHeads: kvHeads, headDim: s.hd, causalOffset: offset)
        for path in Self.paths {
            let fast = Attention.forward(q: q, k: k, v: v, tq: tq, tk: s.tk, heads: heads, kvHeads: kvHeads, headDim: s.hd,
                                         causalOffset: offset, kernels: path)
            #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(path) \(s)")
        }
    }
}
