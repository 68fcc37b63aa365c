import TestSupport
import Testing
@testable import Quantization

/// The fast quantized matmul against its naive twin on awkward shapes (odd row counts, output
/// sizes that do not fill the 64-row block, several groups).
@Suite struct QuantizedKernelTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 32), (3, 65, 64), (17, 130, 96), (2, 7, 256), (5, 64, 128)]
    static let schemes: [QuantScheme] = [.int8, .int4(groupSize: 32, symmetric: false), .int4(groupSize: 32, symmetric: true)]

    @Test(arguments: shapes)
    func fastMatchesNaive(_ s: (m: Int, n: Int, k: Int)) throws {
        var g = SplitMix(seed: UInt64(s.m * 10_000 + s.n * 100 + s.k))
        let w = (0..<(s.n * s.k)).map { _ in g.nextFloat() }
        let x = (0..<(s.m * s.k)).map { _ in g.nextFloat() }
        let b = (0..<s.n).map { _ in g.nextFloat() }
        for scheme in Self.schemes {
            let q = try RTNQuantizer.quantize(w, rows: s.n, cols: s.k, scheme: scheme)
            for bias in [nil, b] {
                let lin = QuantizedLinear(q, bias: bias)
                let fast = lin.forward(x, rows: s.m), slow = lin.naiveForward(x, rows: s.m)
                #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 * Float(s.k) }, "\(scheme) \(s)")
            }
        }
    }
}
