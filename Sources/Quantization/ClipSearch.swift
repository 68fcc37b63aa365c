import Foundation
import ReferenceRuntime

/// AWQ's clipping search: for every output row and group, the clamp range ±m·(1 − i/20),
/// i = 0 … 9, whose fake-quantized group output on calibration inputs is closest (MSE over
/// tokens) to the unclipped float output. int8 treats a whole row as one group.
///
/// The error of row r, group j is mean over tokens t of (x_t,j · Δ_r,j)², Δ = W' − W the
/// candidate's change of that group's weights: (1/n) Δ G_j Δᵀ with G_j = X_jᵀ X_j, the g × g
/// Gram matrix of the group's input columns. G is computed once, so a candidate costs
/// 2 · rows · cols · g operations instead of 2 · rows · cols · n (n calibration tokens ≥ g).
enum ClipSearch {
    static func run(_ w: inout [Float], rows: Int, cols: Int, x: [Float], tokens n: Int, scheme: QuantScheme, threads: Int) throws {
        let g = scheme.groupSize ?? cols
        precondition(cols % g == 0 && x.count >= n * cols)
        let groups = cols / g
        let gram = gramMatrices(x, tokens: n, cols: cols, group: g, threads: threads)
        var maxAbs = [Float](repeating: 0, count: rows * groups)
        for r in 0..<rows { for j in 0..<groups { for c in 0..<g { maxAbs[r * groups + j] = max(maxAbs[r * groups + j], abs(w[r * cols + j * g + c])) } } }
        var bestMax = maxAbs
        var bestErr = [Double](repeating: .infinity, count: rows * groups)
        var bounds = maxAbs, delta = [Float](), err = [Float](repeating: 0, count: rows * groups)
        for step in 0..<Int(AWQ.maxShrink * Double(AWQ.grid)) {
            let factor = 1 - Float(step) / Float(AWQ.grid)
            for i in 0..<bounds.count { bounds[i] = maxAbs[i] * factor }
            try FakeQuantizer.apply(w, rows: rows, cols: cols, scheme: scheme, clip: bounds, into: &delta, threads: threads)
            subtract(&delta, w)
            quadraticForms(delta, rows: rows, cols: cols, group: g, gram: gram, into: &err, threads: threads)
            for i in 0..<err.count where Double(err[i]) / Double(n) < bestErr[i] {
                bestErr[i] = Double(err[i]) / Double(n)
                bestMax[i] = bounds[i]
            }
        }
        for r in 0..<rows {
            for j in 0..<groups {
                let m = bestMax[r * groups + j]
                for c in 0..<g { let i = r * cols + j * g + c; w[i] = min(m, max(-m, w[i])) }
            }
        }
    }

    /// G_j = X_jᵀ X_j for every group j of g input columns: [groups, g, g].
    static func gramMatrices(_ x: [Float], tokens n: Int, cols: Int, group g: Int, threads: Int) -> [Float] {
        let groups = cols / g
        var gram = [Float](repeating: 0, count: groups * g * g)
        x.withUnsafeBufferPointer { xp in
            gram.withUnsafeMutableBufferPointer { gp in
                let out = gp.baseAddress!
                Parallel.withThreads(threads) {
                    Parallel.forEachPiece(groups) { j in
                        Parallel.withThreads(1) {
                            Gemm.sgemm(m: g, n: g, k: n, a: xp.baseAddress! + j * g, lda: cols, transposedA: true,
                                       b: xp.baseAddress! + j * g, ldb: cols, transposedB: false, beta: 0,
                                       c: out + j * g * g, ldc: g)
                        }
                    }
                }
            }
        }
        return gram
    }

    /// err[r · groups + j] = Δ_r,j G_j Δ_r,jᵀ for every row r and group j.
    static func quadraticForms(_ delta: [Float], rows: Int, cols: Int, group g: Int, gram: [Float], into err: inout [Float], threads: Int) {
        let groups = cols / g
        // Row blocks of a fixed size: each block's product and dots are computed alone, so the
        // result does not depend on the thread count.
        let block = 256
        let blocks = (rows + block - 1) / block
        delta.withUnsafeBufferPointer { dp in
            gram.withUnsafeBufferPointer { gp in
                err.withUnsafeMutableBufferPointer { ep in
                    let d = dp.baseAddress!, gr = gp.baseAddress!, e = ep.baseAddress!
                    Parallel.withThreads(threads) {
                        Parallel.forEachPiece(blocks) { b in
                            let r0 = b * block, r1 = min(rows, r0 + block)
                            var product = [Float](repeating: 0, count: (r1 - r0) * g)
                            product.withUnsafeMutableBufferPointer { pp in
                                let p = pp.baseAddress!
                                for j in 0..<groups {
                                    Parallel.withThreads(1) {
                                        Gemm.sgemm(m: r1 - r0, n: g, k: g, a: d + r0 * cols + j * g, lda: cols,
                                                   b: gr + j * g * g, ldb: g, transposedB: false, beta: 0, c: p, ldc: g)
                                    }
                                    for r in r0..<r1 {
                                        let pr = p + (r - r0) * g, dr = d + r * cols + j * g
                                        e[r * groups + j] = dot(pr, dr, g)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Σ a[c]·b[c] with eight partial sums (the order is fixed by n alone).
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var c = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while c + 8 <= n {
            acc += ra.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: c * 4, as: SIMD8<Float>.self)
            c += 8
        }
        var s = acc.sum()
        while c < n { s += a[c] * b[c]; c += 1 }
        return s
    }

    /// a −= b, element by element.
    static func subtract(_ a: inout [Float], _ b: [Float]) {
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                for i in 0..<ap.count { ap[i] -= bp[i] }
            }
        }
    }
}
