import Foundation
import Testing
import TestSupport
@testable import ReferenceRuntime

@Suite struct ParallelTests {
    /// The count is the caller's: a computation set to 3 threads really splits into 3 chunks,
    /// whatever other tests running at the same time have set.
    @Test func threadCountBelongsToTheComputation() async {
        await withTaskGroup(of: (Int, Int).self) { group in
            for n in [1, 2, 3, 5] {
                group.addTask {
                    Parallel.withThreads(n) {
                        let lock = NSLock()
                        var chunks = 0
                        Parallel.forEachChunk(100) { _ in lock.lock(); chunks += 1; lock.unlock() }
                        return (n, chunks)
                    }
                }
            }
            for await (n, chunks) in group { #expect(chunks == n) }
        }
    }

    @Test func requestsAboveTheCoresAreLoweredWithANote() {
        let cores = Parallel.availableCores
        #expect(Parallel.resolve(0).threads == cores && Parallel.resolve(0).note == nil)
        #expect(Parallel.resolve(1).threads == 1)
        let big = Parallel.resolve(100_000)
        #expect(big.threads == cores)
        #expect(big.note == "--threads 100000 is more than the \(cores) core(s) available; using \(cores)")
        #expect(Parallel.withThreads(100_000) { Parallel.threads } == Parallel.hardLimit)
    }

    /// sgemm results are bit-identical for 1, 2 and 3 threads on shapes that take each of Gemm's
    /// cuts (columns, rows, one call), with both layouts of B; and close to the naive product.
    @Test(arguments: [(22, 512, 64), (200, 300, 400), (577, 64, 577), (17, 96, 32), (3, 1000, 7)])
    func sgemmDoesNotDependOnTheThreadCount(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var g = SplitMix(seed: UInt64(m * 31 + n))
        let a = (0..<(m * k)).map { _ in g.nextFloat() }, b = (0..<(n * k)).map { _ in g.nextFloat() }
        for transposed in [true, false] {
            func product(_ threads: Int) -> [Float] {
                var c = [Float](repeating: 0, count: m * n)
                Parallel.withThreads(threads) {
                    Gemm.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: transposed ? k : n,
                               transposedB: transposed, beta: 0, c: &c, ldc: n)
                }
                return c
            }
            let one = product(1)
            #expect(one == product(2) && one == product(3), "\(shape) transposed \(transposed)")
            // The naive product, B read in the same layout.
            var worst: Float = 0
            for i in 0..<m { for j in 0..<n {
                var acc: Double = 0
                for p in 0..<k { acc += Double(a[i * k + p]) * Double(transposed ? b[j * k + p] : b[p * n + j]) }
                worst = max(worst, abs(Float(acc) - one[i * n + j]))
            } }
            #expect(worst <= 1e-4 * Float(k).squareRoot(), "\(shape): \(worst)")
        }
    }
}
