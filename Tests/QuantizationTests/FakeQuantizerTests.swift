import ReferenceRuntime
import TensorCore
import TestSupport
import Testing
@testable import Quantization

/// The one-pass fake quantizer AWQ's searches use (C kernel, AVX2 and portable) gives the same
/// bits as its oracle — column scaling, clamping, `RTNQuantizer.fakeQuantize`, unscaling, each a
/// separate step — on rows that reach the corner cases: ties at .5, all-zero groups, scales that
/// are f16 subnormals, columns that do not fill a SIMD register.
@Suite struct FakeQuantizerTests {
    static let schemes: [QuantScheme] = [.int8, .int4(groupSize: 32, symmetric: false), .int4(groupSize: 32, symmetric: true),
                                         .int4(groupSize: 12, symmetric: false), .int4(groupSize: 128, symmetric: false)]

    /// Rows of varied character: random, ties, zeros, tiny (subnormal f16 scales), outliers.
    static func matrix(rows: Int, cols: Int, seed: UInt64) -> [Float] {
        var g = SplitMix(seed: seed)
        var w = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let x = g.nextFloat()
                switch r % 5 {
                case 0: w[r * cols + c] = x
                case 1: w[r * cols + c] = Float((c * 7) % 15) * 0.5 - 3.5    // halves: ties under most scales
                case 2: w[r * cols + c] = c % 3 == 0 ? 0 : x * 1e-6          // zeros and f16-subnormal scales
                case 3: w[r * cols + c] = c == r ? 40 : x                    // one outlier
                default: w[r * cols + c] = -0.0                              // an all-(negative)-zero row
                }
            }
        }
        return w
    }

    static func oracle(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, scales: [Float]?, clip: [Float]?) throws -> [Float] {
        var x = w
        if let scales { Scaling.multiplyColumns(&x, by: scales) }
        if let clip {
            let g = scheme.groupSize ?? cols, groups = cols / g
            for r in 0..<rows { for c in 0..<cols { let m = clip[r * groups + c / g]; x[r * cols + c] = min(m, max(-m, x[r * cols + c])) } }
        }
        var q = try RTNQuantizer.fakeQuantize(x, rows: rows, cols: cols, scheme: scheme)
        if let scales { Scaling.divideColumns(&q, by: scales) }
        return q
    }

    @Test(arguments: schemes)
    func matchesTheOracleBitForBit(_ scheme: QuantScheme) throws {
        let g = scheme.groupSize ?? 8
        for (rows, cols) in [(1, g), (6, 2 * g), (11, 4 * g), (5, 3 * g + (scheme == .int8 ? 5 : 0))] {
            let w = Self.matrix(rows: rows, cols: cols, seed: UInt64(rows * 131 + cols))
            var rng = SplitMix(seed: UInt64(cols))
            let scales = (0..<cols).map { _ in 0.25 + abs(rng.nextFloat()) * 4 }
            let groups = cols / (scheme.groupSize ?? cols)
            let clip = (0..<(rows * groups)).map { _ in abs(rng.nextFloat()) * 0.8 }
            for (s, cl) in [(nil, nil), (scales, nil), (nil, clip), (scales, clip)] as [([Float]?, [Float]?)] {
                let expected = try Self.oracle(w, rows: rows, cols: cols, scheme: scheme, scales: s, clip: cl)
                for kernels in KernelPath.allCases {
                    for threads in [1, 2] {
                        var out = [Float]()
                        try FakeQuantizer.apply(w, rows: rows, cols: cols, scheme: scheme, columnScales: s, clip: cl,
                                                into: &out, threads: threads, kernels: kernels)
                        let same = zip(out, expected).allSatisfy { $0.bitPattern == $1.bitPattern }
                        #expect(same, "\(scheme) \(rows)×\(cols) scales \(s != nil) clip \(cl != nil) \(kernels) \(threads)")
                    }
                }
            }
        }
    }

    @Test func reportsNonFiniteWeightsAndScaleOverflowByRow() throws {
        for kernels in KernelPath.allCases {
            var w = Self.matrix(rows: 4, cols: 64, seed: 3)
            w[2 * 64 + 5] = .nan
            var out = [Float]()
            #expect(throws: QuantizationError.nonFinite(tensor: "t")) {
                try FakeQuantizer.apply(w, rows: 4, cols: 64, scheme: .int4(groupSize: 32, symmetric: false),
                                        into: &out, name: "t", threads: 2, kernels: kernels)
            }
            w[2 * 64 + 5] = 0
            w[3 * 64 + 40] = 3e38
            #expect(throws: QuantizationError.scaleOverflow(tensor: "t", row: 3)) {
                try FakeQuantizer.apply(w, rows: 4, cols: 64, scheme: .int8, into: &out, name: "t", threads: 2, kernels: kernels)
            }
            #expect(throws: QuantizationError.groupDoesNotDivide(tensor: "t", columns: 64, groupSize: 48)) {
                try FakeQuantizer.apply(w, rows: 4, cols: 64, scheme: .int4(groupSize: 48, symmetric: false),
                                        into: &out, name: "t", threads: 1, kernels: kernels)
            }
        }
    }
}

/// The clipping search's error through Gram matrices equals the direct mean over tokens of the
/// squared output change, group by group.
@Suite struct ClipSearchGramTests {
    @Test func quadraticFormsEqualTheDirectError() throws {
        var g = SplitMix(seed: 5)
        let rows = 300, cols = 96, group = 32, n = 40, groups = cols / group
        let x = (0..<(n * cols)).map { _ in g.nextFloat() * 3 }
        let delta = (0..<(rows * cols)).map { _ in g.nextFloat() * 0.01 }
        let gram = ClipSearch.gramMatrices(x, tokens: n, cols: cols, group: group, threads: 2)
        var err = [Float](repeating: 0, count: rows * groups)
        ClipSearch.quadraticForms(delta, rows: rows, cols: cols, group: group, gram: gram, into: &err, threads: 2)
        var one = err
        ClipSearch.quadraticForms(delta, rows: rows, cols: cols, group: group, gram: gram, into: &one, threads: 1)
        #expect(one == err)
        for r in 0..<rows {
            for j in 0..<groups {
                var direct = 0.0
                for t in 0..<n {
                    var y = 0.0
                    for c in (j * group)..<((j + 1) * group) { y += Double(x[t * cols + c]) * Double(delta[r * cols + c]) }
                    direct += y * y
                }
                let got = Double(err[r * groups + j])
                #expect(abs(got - direct) <= 1e-4 * direct + 1e-12, "row \(r) group \(j): \(got) vs \(direct)")
            }
        }
    }
}
