import TestSupport
import ReferenceRuntime
import Testing
@testable import Quantization

/// The fast quantized matmul against its naive twin on awkward shapes (odd row counts, output
/// sizes that do not fill the 64-row block, several groups).
@Suite struct QuantizedKernelTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 32), (3, 65, 64), (17, 130, 96), (2, 7, 256), (5, 64, 128), (1, 33, 256), (4, 19, 128)]
    static let schemes: [QuantScheme] = [.int8, .int4(groupSize: 32, symmetric: false), .int4(groupSize: 32, symmetric: true)]
    static let wideSchemes: [QuantScheme] = [.int4(groupSize: 64, symmetric: false), .int4(groupSize: 128, symmetric: true)]

    @Test(arguments: shapes)
    func fastMatchesNaive(_ s: (m: Int, n: Int, k: Int)) throws {
        var g = SplitMix(seed: UInt64(s.m * 10_000 + s.n * 100 + s.k))
        let w = (0..<(s.n * s.k)).map { _ in g.nextFloat() }
        let x = (0..<(s.m * s.k)).map { _ in g.nextFloat() }
        let b = (0..<s.n).map { _ in g.nextFloat() }
        for scheme in Self.schemes + (s.k % 128 == 0 ? Self.wideSchemes : []) {
            let q = try RTNQuantizer.quantize(w, rows: s.n, cols: s.k, scheme: scheme)
            for bias in [nil, b] {
                let lin = QuantizedLinear(q, bias: bias)
                let fast = lin.forward(x, rows: s.m), slow = lin.naiveForward(x, rows: s.m)
                #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 * Float(s.k) }, "\(scheme) \(s)")
            }
        }
    }

    /// int8 rows whose length is not a multiple of the SIMD width take the scalar tail.
    @Test func int8TailColumns() throws {
        var g = SplitMix(seed: 5)
        let (n, k) = (9, 45)
        let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<k).map { _ in g.nextFloat() }
        let lin = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: .int8), bias: nil)
        #expect(zip(lin.forward(x, rows: 1), lin.naiveForward(x, rows: 1)).allSatisfy { abs($0 - $1) <= 1e-4 })
    }

    /// The decode kernel splits output rows over threads; each row is computed whole by one.
    @Test func gemvDoesNotDependOnThreads() throws {
        var g = SplitMix(seed: 9)
        let (n, k) = (301, 256)
        let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<(2 * k)).map { _ in g.nextFloat() }
        for scheme in Self.schemes + Self.wideSchemes {
            let lin = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: scheme), bias: nil)
            let one = Parallel.withThreads(1) { lin.forward(x, rows: 2) }
            let three = Parallel.withThreads(3) { lin.forward(x, rows: 2) }
            #expect(one == three, "\(scheme)")
        }
    }
}
