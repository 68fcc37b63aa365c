import Foundation
import ReferenceRuntime

/// AWQ's clipping search: for every output row and group, the clamp range ±m·(1 − i/20),
/// i = 0 … 9, whose fake-quantized group output on calibration inputs is closest (MSE over
/// tokens) to the unclipped float output. int8 treats a whole row as one group.
enum ClipSearch {
    static func run(_ w: inout [Float], rows: Int, cols: Int, x: [Float], tokens n: Int, scheme: QuantScheme, threads: Int) throws {
        let g = scheme.groupSize ?? cols
        let groups = cols / g
        // Reference outputs per group: Y_j[n, rows] = X_j · W_jᵀ
        func groupOutputs(_ m: [Float]) -> [[Float]] {
            (0..<groups).map { j in
                var y = [Float](repeating: 0, count: n * rows)
                x.withUnsafeBufferPointer { xp in
                    m.withUnsafeBufferPointer { wp in
                        y.withUnsafeMutableBufferPointer { yp in
                            Gemm.sgemm(m: n, n: rows, k: g, a: xp.baseAddress! + j * g, lda: cols,
                                       b: wp.baseAddress! + j * g, ldb: cols, transposedB: true, beta: 0,
                                       c: yp.baseAddress!, ldc: rows)
                        }
                    }
                }
                return y
            }
        }
        let reference = groupOutputs(w)
        var maxAbs = [Float](repeating: 0, count: rows * groups)
        for r in 0..<rows { for j in 0..<groups { for c in 0..<g { maxAbs[r * groups + j] = max(maxAbs[r * groups + j], abs(w[r * cols + j * g + c])) } } }
        var bestMax = maxAbs
        var bestErr = [Double](repeating: .infinity, count: rows * groups)
        for step in 0..<Int(AWQ.maxShrink * Double(AWQ.grid)) {
            let factor = 1 - Float(step) / Float(AWQ.grid)
            var clipped = w
            for r in 0..<rows {
                for j in 0..<groups {
                    let m = maxAbs[r * groups + j] * factor
                    for c in 0..<g { let i = r * cols + j * g + c; clipped[i] = min(m, max(-m, clipped[i])) }
                }
            }
            let q = try RTNQuantizer.fakeQuantize(clipped, rows: rows, cols: cols, scheme: scheme, threads: threads)
            let out = groupOutputs(q)
            for j in 0..<groups {
                var err = [Double](repeating: 0, count: rows)
                for t in 0..<n { for r in 0..<rows { let d = Double(out[j][t * rows + r] - reference[j][t * rows + r]); err[r] += d * d } }
                for r in 0..<rows where err[r] / Double(n) < bestErr[r * groups + j] {
                    bestErr[r * groups + j] = err[r] / Double(n)
                    bestMax[r * groups + j] = maxAbs[r * groups + j] * factor
                }
            }
        }
        for r in 0..<rows {
            for j in 0..<groups {
                let m = bestMax[r * groups + j]
                for c in 0..<g { let i = r * cols + j * g + c; w[i] = min(m, max(-m, w[i])) }
            }
        }
    }
}
