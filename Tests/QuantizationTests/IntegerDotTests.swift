import ReferenceRuntime
import TensorCore
import TestSupport
import Testing
@testable import Quantization

/// Quantized Linears with int8 activations: the integer-dot kernels (native and portable) equal
/// the oracle — the float formula on the rounded activations — for decode and prefill row
/// counts, bit-identically across thread counts; schemes without kernels take the exact path.
@Suite struct IntegerDotTests {
    static let schemes: [QuantScheme] = [.int8, .int4(groupSize: 32, symmetric: false), .int4(groupSize: 64, symmetric: true),
                                         .int4(groupSize: 128, symmetric: false)]

    @Test(arguments: schemes)
    func matchesTheOracleOnRoundedActivations(_ scheme: QuantScheme) throws {
        for (n, k) in [(5, 128), (33, 256), (70, 384)] {
            var g = SplitMix(seed: UInt64(n * 31 + k))
            let w = (0..<(n * k)).map { _ in g.nextFloat() }
            let bias = (0..<n).map { _ in g.nextFloat() }
            let base = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: scheme), bias: bias)
            for m in [1, 3, 6, 33] {
                let x = (0..<(m * k)).map { i in g.nextFloat() * (i % 9 == 0 ? 6 : 1) }
                let expected = base.naiveForward(IntegerDot.rounded(x, rows: m, k: k), rows: m)
                for kernels in KernelPath.allCases {
                    var lin = base
                    lin.kernels = kernels
                    lin.activations = .int8
                    let one = ComputeContext(threads: 1).run { lin.forward(x, rows: m) }
                    let two = ComputeContext(threads: 2).run { lin.forward(x, rows: m) }
                    #expect(one == two, "\(scheme) \(kernels) m=\(m): thread counts differ")
                    let scale = x.map { abs($0) }.reduce(0, +) / Float(m)
                    let worst = zip(one, expected).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= 2e-5 * scale, "\(scheme) \(kernels) \(n)×\(k) m=\(m): \(worst)")
                }
            }
        }
    }

    /// Rounding activations costs accuracy, not the answer: the int8-activation output stays
    /// close to the exact float-activation output (relative error of a few tenths of a percent).
    @Test func staysCloseToTheExactPath() throws {
        var g = SplitMix(seed: 9)
        let n = 64, k = 512, m = 4
        let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<(m * k)).map { _ in g.nextFloat() }
        var lin = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: .int4(groupSize: 128, symmetric: false)), bias: nil)
        lin.activations = .float
        let exact = lin.forward(x, rows: m)
        lin.activations = .int8
        let rounded = lin.forward(x, rows: m)
        let num = zip(exact, rounded).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
        let den = exact.map { Double($0) * Double($0) }.reduce(0, +)
        #expect((num / den).squareRoot() < 0.01)
        #expect(exact != rounded)
    }

    /// int4 groups that are not whole 32-column blocks have no integer kernel: the layer takes
    /// the exact path whatever the context says.
    @Test func groupsThatAreNotWholeBlocksTakeTheExactPath() throws {
        var g = SplitMix(seed: 4)
        let n = 9, k = 96, m = 2
        let w = (0..<(n * k)).map { _ in g.nextFloat() }, x = (0..<(m * k)).map { _ in g.nextFloat() }
        let scheme = QuantScheme.int4(groupSize: 48, symmetric: false)
        #expect(!IntegerDot.supports(scheme))
        let lin = QuantizedLinear(try RTNQuantizer.quantize(w, rows: n, cols: k, scheme: scheme), bias: nil)
        let exact = ComputeContext(activations: .float).run { lin.forward(x, rows: m) }
        let asked = ComputeContext(activations: .int8).run { lin.forward(x, rows: m) }
        #expect(exact == asked)
    }
}
