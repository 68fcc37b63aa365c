import Foundation

/// How far one stage's output is from the expected one.
public struct StageMetrics: Sendable, Encodable, Equatable {
    public var maxAbsError: Double
    /// maxAbsError / max |expected|.
    public var maxRelError: Double
    public var cosineSimilarity: Double
    /// Where the largest error is (flat index into the expected tensor).
    public var worstIndex: Int
    /// Logits only: fraction of positions whose arg-max agrees.
    public var top1Agreement: Double?
    /// Logits only: mean over positions of KL(softmax(expected) ‖ softmax(actual)), in nats.
    public var meanKL: Double?

    /// Compares two equally long buffers.
    public static func compare(actual: [Float], expected: [Float]) -> StageMetrics {
        precondition(actual.count == expected.count)
        var maxAbs = 0.0, maxRef = 0.0, dot = 0.0, na = 0.0, ne = 0.0, worst = 0
        for i in 0..<expected.count {
            let a = Double(actual[i]), e = Double(expected[i])
            let d = abs(a - e)
            if d > maxAbs || d.isNaN { maxAbs = d.isNaN ? .infinity : d; worst = i }
            maxRef = max(maxRef, abs(e))
            dot += a * e; na += a * a; ne += e * e
        }
        let cosine = (na == 0 || ne == 0) ? (na == ne ? 1 : 0) : dot / (na.squareRoot() * ne.squareRoot())
        return StageMetrics(maxAbsError: maxAbs, maxRelError: maxRef == 0 ? maxAbs : maxAbs / maxRef,
                            cosineSimilarity: cosine, worstIndex: worst)
    }

    /// Adds arg-max agreement and mean KL divergence for logits of shape [rows, vocab].
    public static func compareLogits(actual: [Float], expected: [Float], vocab: Int) -> StageMetrics {
        var m = compare(actual: actual, expected: expected)
        let rows = vocab == 0 ? 0 : expected.count / vocab
        var agree = 0
        var kl = 0.0
        for r in 0..<rows {
            let a = actual[(r * vocab)..<((r + 1) * vocab)], e = expected[(r * vocab)..<((r + 1) * vocab)]
            if argmax(a) == argmax(e) { agree += 1 }
            kl += klDivergence(p: e, q: a)
        }
        m.top1Agreement = rows == 0 ? 1 : Double(agree) / Double(rows)
        m.meanKL = rows == 0 ? 0 : kl / Double(rows)
        return m
    }

    static func argmax(_ x: ArraySlice<Float>) -> Int {
        var best = x.startIndex
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }

    /// KL(softmax(p) ‖ softmax(q)) from logits, in Double via log-sum-exp.
    static func klDivergence(p: ArraySlice<Float>, q: ArraySlice<Float>) -> Double {
        func logSoftmax(_ x: ArraySlice<Float>) -> [Double] {
            let m = Double(x.max() ?? 0)
            let lse = m + log(x.reduce(0.0) { $0 + exp(Double($1) - m) })
            return x.map { Double($0) - lse }
        }
        let lp = logSoftmax(p), lq = logSoftmax(q)
        var kl = 0.0
        for i in 0..<lp.count { kl += exp(lp[i]) * (lp[i] - lq[i]) }
        return max(0, kl)
    }
}
