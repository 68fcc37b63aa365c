import Foundation
import ReferenceRuntime

/// AWQ's grid search of per-input-channel scales for one group of Linear layers sharing an input.
enum ScaleSearch {
    struct Outcome {
        let scales: [Float]
        let alpha: Double
        let rtnLoss: Double
        let bestLoss: Double
    }

    /// s(α) = mean|x|^α per input channel, clamped to ≥ 1e-4, divided by √(max s · min s).
    static func scales(meanAbs: [Float], alpha: Double) -> [Float] {
        var s = meanAbs.map { max(Float(pow(Double($0), alpha)), 1e-4) }
        let norm = Float((Double(s.max()!) * Double(s.min()!)).squareRoot())
        for i in 0..<s.count { s[i] /= norm }
        return s
    }

    /// Fake-quantizes W·diag(s) with `scheme` and divides the columns by s again (W unchanged
    /// when the layer is kept float): the oracle of what `run` computes with `FakeQuantizer`.
    static func fakeQuantized(_ w: [Float], rows: Int, cols: Int, scales s: [Float], scheme: QuantScheme?, threads: Int) throws -> [Float] {
        guard let scheme else { return w }
        var scaled = w
        Scaling.multiplyColumns(&scaled, by: s)
        var q = try RTNQuantizer.fakeQuantize(scaled, rows: rows, cols: cols, scheme: scheme, threads: threads)
        Scaling.divideColumns(&q, by: s)
        return q
    }

    /// mean |x| per column of a [rows, width] buffer.
    static func meanAbs(_ x: [Float], width: Int) -> [Float] {
        let rows = x.count / width
        var acc = [Double](repeating: 0, count: width)
        x.withUnsafeBufferPointer { xp in
            acc.withUnsafeMutableBufferPointer { ap in
                for r in 0..<rows {
                    let row = xp.baseAddress! + r * width
                    for c in 0..<width { ap[c] += Double(abs(row[c])) }
                }
            }
        }
        return acc.map { Float($0 / Double(max(rows, 1))) }
    }

    /// Tries α = 0, 1/grid, …; `evaluate` computes the block output from the candidate weights.
    /// The candidates are written into one buffer per Linear, reused across the grid.
    static func run(meanAbs mean: [Float], width: Int, fcs: [(w: [Float], out: Int, scheme: QuantScheme?)],
                    target: [Float], threads: Int, evaluate: ([[Float]]) -> [Float]) throws -> Outcome {
        var best: (loss: Double, alpha: Double, s: [Float]) = (.infinity, 0, [])
        var rtn = Double.nan
        var buffers = fcs.map { _ in [Float]() }
        for step in 0..<AWQ.grid {
            let alpha = Double(step) / Double(AWQ.grid)
            let s = scales(meanAbs: mean, alpha: alpha)
            for (i, fc) in fcs.enumerated() {
                guard let scheme = fc.scheme else { continue }
                try FakeQuantizer.apply(fc.w, rows: fc.out, cols: width, scheme: scheme, columnScales: s,
                                        into: &buffers[i], threads: threads)
            }
            let loss = AWQBlocks.mse(evaluate(fcs.indices.map { fcs[$0].scheme == nil ? fcs[$0].w : buffers[$0] }), target)
            if step == 0 { rtn = loss }
            if loss < best.loss { best = (loss, alpha, s) }
        }
        return Outcome(scales: best.s, alpha: best.alpha, rtnLoss: rtn, bestLoss: best.loss)
    }
}

/// Folding scales into weights and activations (row-major [rows, cols] buffers).
enum Scaling {
    static func multiplyColumns(_ w: inout [Float], by s: [Float]) {
        eachRow(&w, s) { row, s, cols in for c in 0..<cols { row[c] *= s[c] } }
    }

    static func divideColumns(_ w: inout [Float], by s: [Float]) {
        eachRow(&w, s) { row, s, cols in for c in 0..<cols { row[c] /= s[c] } }
    }

    private static func eachRow(_ w: inout [Float], _ s: [Float],
                                _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void) {
        let cols = s.count
        precondition(cols > 0 && w.count % cols == 0)
        w.withUnsafeMutableBufferPointer { wp in
            s.withUnsafeBufferPointer { sp in
                for r in 0..<(wp.count / cols) { body(wp.baseAddress! + r * cols, sp.baseAddress!, cols) }
            }
        }
    }

    /// Divides output row r (and so output channel r) by s[r].
    static func divideRows(_ w: inout [Float], by s: [Float]) {
        let cols = w.count / s.count
        for r in 0..<s.count { for c in 0..<cols { w[r * cols + c] /= s[r] } }
    }

    static func divide(_ v: inout [Float], by s: [Float]) {
        for i in 0..<v.count { v[i] /= s[i] }
    }
}
