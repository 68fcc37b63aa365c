import TestSupport
import Testing
@testable import Quantization

/// RTN against the formulas of formats/quantization.md, re-derived here with Swift's own
/// Float16 type for the scale rounding (independent of VLMKit's bit-level conversions).
@Suite struct RTNTests {
    static func randomWeights(_ n: Int, seed: UInt64, outliers: Bool = true) -> [Float] {
        var g = SplitMix(seed: seed)
        return (0..<n).map { i in
            let v = g.nextFloat() * 0.05
            return outliers && i % 97 == 0 ? v * 40 : v
        }
    }

    @Test func int8DequantizesExactlyAsTheFormula() throws {
        let rows = 7, cols = 45
        var w = Self.randomWeights(rows * cols, seed: 1)
        for c in 0..<cols { w[3 * cols + c] = 0 }  // an all-zero row
        let q = try RTNQuantizer.quantize(w, rows: rows, cols: cols, scheme: .int8)
        let deq = q.dequantized()
        for r in 0..<rows {
            let m = (0..<cols).map { abs(w[r * cols + $0]) }.max()!
            let s = Float(Float16(m / 127))
            for c in 0..<cols {
                let expectedQ: Float = s == 0 ? 0 : min(127, max(-127, (w[r * cols + c] / s).rounded(.toNearestOrEven)))
                #expect(q.storedValue(row: r, col: c) == Int(expectedQ))
                #expect(deq[r * cols + c] == expectedQ * s)
            }
        }
    }

    @Test(arguments: [32, 64, 128])
    func int4AsymmetricDequantizesExactlyAsTheFormula(_ g: Int) throws {
        let rows = 5, cols = 2 * g
        let w = Self.randomWeights(rows * cols, seed: UInt64(g))
        let q = try RTNQuantizer.quantize(w, rows: rows, cols: cols, scheme: .int4(groupSize: g, symmetric: false))
        let deq = q.dequantized()
        for r in 0..<rows {
            for grp in 0..<(cols / g) {
                let vals = (0..<g).map { w[r * cols + grp * g + $0] }
                let s = Float(Float16(max(vals.max()! - vals.min()!, 1e-5) / 15))
                let z = min(15, max(0, (-vals.min()! / s).rounded(.toNearestOrEven)))
                #expect(q.zeros![r * (cols / g) + grp] == UInt8(z))
                for c in 0..<g {
                    let u = min(15, max(0, (vals[c] / s).rounded(.toNearestOrEven) + z))
                    #expect(q.storedValue(row: r, col: grp * g + c) == Int(u))
                    #expect(deq[r * cols + grp * g + c] == (u - z) * s)
                }
            }
        }
    }

    @Test func int4SymmetricDequantizesExactlyAsTheFormula() throws {
        let rows = 3, cols = 64, g = 32
        let w = Self.randomWeights(rows * cols, seed: 9)
        let q = try RTNQuantizer.quantize(w, rows: rows, cols: cols, scheme: .int4(groupSize: g, symmetric: true))
        #expect(q.zeros == nil)
        let deq = q.dequantized()
        for r in 0..<rows {
            for grp in 0..<2 {
                let vals = (0..<g).map { w[r * cols + grp * g + $0] }
                let s = Float(Float16(vals.map(abs).max()! / 7))
                for c in 0..<g {
                    let qv = min(7, max(-8, (vals[c] / s).rounded(.toNearestOrEven)))
                    #expect(q.storedValue(row: r, col: grp * g + c) == Int(qv) + 8)
                    #expect(deq[r * cols + grp * g + c] == qv * s)
                }
            }
        }
    }

    @Test func packingPutsTheEvenColumnInTheLowNibble() throws {
        // One row, one group of 32: values chosen so that u = column index mod 16.
        let w = (0..<32).map { Float($0 % 16) }
        let q = try RTNQuantizer.quantize(w, rows: 1, cols: 32, scheme: .int4(groupSize: 32, symmetric: false))
        #expect(q.zeros == [0])
        #expect(q.values[0] == 0x10 && q.values[1] == 0x32 && q.values[7] == 0xFE)
        #expect(q.dequantized() == w)
    }

    @Test func errorsNameTheTensor() {
        #expect(throws: QuantizationError.groupDoesNotDivide(tensor: "llm.x", columns: 100, groupSize: 32)) {
            try RTNQuantizer.quantize([Float](repeating: 0, count: 100), rows: 1, cols: 100, scheme: .int4(groupSize: 32, symmetric: false), name: "llm.x")
        }
        #expect(throws: QuantizationError.nonFinite(tensor: "w")) {
            try RTNQuantizer.quantize([.nan, 0], rows: 1, cols: 2, scheme: .int8, name: "w")
        }
        #expect(throws: QuantizationError.scaleOverflow(tensor: "w", row: 0)) {
            try RTNQuantizer.quantize([1e10, 0], rows: 1, cols: 2, scheme: .int8, name: "w")
        }
    }

    @Test func schemesParseAndPrint() {
        for s in ["int8", "int4-g32", "int4-g64-sym", "int4-g128"] { #expect(QuantScheme(s)?.description == s) }
        #expect(QuantScheme("int4") == .int4(groupSize: 128, symmetric: false))
        #expect(QuantScheme("int4-g100") == nil && QuantScheme("int3") == nil)
        #expect(QuantScheme.int4(groupSize: 128, symmetric: false).storedBytes(rows: 2, cols: 256) == 256 + 4 * 2 + 4)
    }

    @Test func statsMeasureWhatWasLost() {
        let s = QuantStats.measure(original: [1, -1, 2, 0], dequantized: [1, -0.5, 2, 0])
        #expect(s.maxAbsError == 0.5 && abs(s.nmse - 0.25 / 6) < 1e-12)
    }
}
