import Testing
@testable import Verification

@Suite struct StageMetricsTests {
    @Test func identicalBuffersHaveZeroErrorAndCosineOne() {
        let m = StageMetrics.compare(actual: [1, -2, 3], expected: [1, -2, 3])
        #expect(m.maxAbsError == 0 && m.maxRelError == 0 && abs(m.cosineSimilarity - 1) < 1e-12)
    }

    @Test func relativeErrorIsAgainstTheLargestExpectedMagnitude() {
        let m = StageMetrics.compare(actual: [1, -2, 3.5], expected: [1, -2, 4])
        #expect(m.maxAbsError == 0.5 && m.maxRelError == 0.125 && m.worstIndex == 2)
    }

    @Test func nanIsNeverWithinTolerance() {
        let m = StageMetrics.compare(actual: [.nan, 1], expected: [1, 1])
        #expect(m.maxAbsError == .infinity)
    }

    @Test func logitsTop1AndKL() {
        // Row 0 agrees, row 1 does not.
        let e: [Float] = [3, 1, 0, 0, 0, 2]
        let a: [Float] = [3, 1, 0, 0, 2, 0]
        let m = StageMetrics.compareLogits(actual: a, expected: e, vocab: 3)
        #expect(m.top1Agreement == 0.5)
        // KL of row 1: p = softmax(0,0,2), q = softmax(0,2,0)
        let z = 2 + exp(2.0)
        let p = [1 / z, 1 / z, exp(2.0) / z], q = [1 / z, exp(2.0) / z, 1 / z]
        let kl1 = zip(p, q).reduce(0.0) { $0 + $1.0 * log($1.0 / $1.1) }
        #expect(abs(m.meanKL! - kl1 / 2) < 1e-9)
    }
}

import Foundation
