import TensorCore
import TestSupport
import ReferenceRuntime
import Testing
@testable import Quantization

/// The portable C kernels — what a CPU without AVX2 (an ARM edge device) runs — forced on this
/// machine and checked against the naive oracles on awkward shapes (odd rows, columns that do
/// not fill a SIMD register, several groups), for decode rows (≤ 4) and prefill rows.
@Suite struct PortableKernelTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 32), (1, 7, 96), (3, 65, 64), (2, 33, 160), (4, 19, 128), (6, 9, 96)]

    @Test(arguments: [QuantScheme.int8, .int4(groupSize: 32, symmetric: false), .int4(groupSize: 32, symmetric: true)])
    func quantizedPortableMatchesNaive(_ scheme: QuantScheme) throws {
        for s in Self.shapes {
            var g = SplitMix(seed: UInt64(s.m * 977 + s.n * 31 + s.k))
            let w = (0..<(s.n * s.k)).map { _ in g.nextFloat() }, x = (0..<(s.m * s.k)).map { _ in g.nextFloat() }
            var lin = QuantizedLinear(try RTNQuantizer.quantize(w, rows: s.n, cols: s.k, scheme: scheme), bias: nil)
            lin.kernels = .portable
            let fast = lin.forward(x, rows: s.m), slow = lin.naiveForward(x, rows: s.m)
            let worst = zip(fast, slow).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 2e-6 * Float(s.k), "\(scheme) \(s): \(worst)")
            lin.kernels = .native
            let native = lin.forward(x, rows: s.m)
            #expect(zip(native, slow).allSatisfy { abs($0 - $1) <= 2e-6 * Float(s.k) }, "\(scheme) \(s) native")
        }
    }

    /// A layer that names no kernels runs those of the compute context in progress: inside a
    /// portable context its bytes equal the explicitly portable layer's, inside a native one the
    /// native layer's, and an explicit choice wins over the context. Contexts nest and restore.
    @Test func layersFollowTheComputeContext() throws {
        var g = SplitMix(seed: 77)
        let n = 33, k = 160
        let w = (0..<(n * k)).map { _ in g.nextFloat() }
        let free = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: .int4(groupSize: 32, symmetric: false)), bias: nil)
        var portable = free, native = free
        portable.kernels = .portable
        native.kernels = .native
        for rows in [1, 6] {
            let x = (0..<(rows * k)).map { _ in g.nextFloat() }
            let viaPortable = ComputeContext(threads: 2, kernels: .portable).run { free.forward(x, rows: rows) }
            let viaNative = ComputeContext(threads: 2, kernels: .native).run { free.forward(x, rows: rows) }
            #expect(viaPortable == portable.forward(x, rows: rows))
            #expect(viaNative == native.forward(x, rows: rows))
            #expect(ComputeContext(kernels: .portable).run { native.forward(x, rows: rows) } == native.forward(x, rows: rows))
        }
        let inner = ComputeContext(threads: 3, kernels: .portable).run {
            (ComputeContext.current, ComputeContext.current.with(threads: 1).run { ComputeContext.current })
        }
        #expect(inner.0 == ComputeContext(threads: 3, kernels: .portable))
        #expect(inner.1 == ComputeContext(threads: 1, kernels: .portable))
    }

    /// int8 rows whose length is not a multiple of 8 or 32 take the portable tail loop.
    @Test func int8PortableTailColumns() throws {
        var g = SplitMix(seed: 12)
        for k in [1, 7, 45, 63] {
            let n = 5
            let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<k).map { _ in g.nextFloat() }
            var lin = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: .int8), bias: nil)
            lin.kernels = .portable
            #expect(zip(lin.forward(x, rows: 1), lin.naiveForward(x, rows: 1)).allSatisfy { abs($0 - $1) <= 1e-5 * Float(k) }, "k \(k)")
        }
    }

    @Test func halfAndFloatPortableMatchNaive() {
        for s in [(1, 7, 41), (3, 33, 64), (2, 1, 1), (6, 17, 9)] as [(Int, Int, Int)] {
            let (m, n, k) = s
            var g = SplitMix(seed: UInt64(m * 100 + n * 10 + k))
            let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<(m * k)).map { _ in g.nextFloat() }
            for bf16 in [false, true] {
                let bits = w.map { bf16 ? FloatConversion.f32ToBF16($0) : FloatConversion.f32ToF16($0) }
                var lin = HalfLinear(weight: bits, isBF16: bf16, bias: nil, outFeatures: n, inFeatures: k)
                lin.kernels = .portable
                #expect(zip(lin.forward(x, rows: m), lin.naiveForward(x, rows: m)).allSatisfy { abs($0 - $1) <= 2e-6 * Float(max(k, 8)) },
                        "\(s) bf16 \(bf16)")
            }
            let one = Array(x.prefix(k))
            let fast = Matmul.blas(x: one, m: 1, k: k, weight: w, n: n, kernels: .portable)
            let slow = Matmul.naive(x: one, m: 1, k: k, weight: w, n: n)
            #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 2e-6 * Float(max(k, 8)) }, "f32 \(s)")
        }
    }
}
