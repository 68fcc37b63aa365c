import TestSupport
import Testing
import DeviceBundle
import ReferenceRuntime
import TensorIO

/// Each Debian library VLMKit links through pkg-config really links and works.
@Suite struct SystemLibraryTests {
    @Test func zstdRoundTripsAndRejectsAWrongSize() throws {
        let input = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let packed = try ZstdCodec.compress(input)
        #expect(packed.count < input.count)
        #expect(try ZstdCodec.decompress(packed, expectedSize: input.count) == input)
        #expect(throws: ZstdCodec.ZstdError.self) { try ZstdCodec.decompress(packed, expectedSize: input.count - 1) }
        #expect(throws: ZstdCodec.ZstdError.self) { try ZstdCodec.decompress([1, 2, 3], expectedSize: 3) }
        #expect(ZstdCodec.libraryVersion.split(separator: ".").count == 3)
    }

    /// The OpenBLAS matmul against its naive twin, on awkward shapes.
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 33, 9), (64, 31, 130), (0, 4, 4), (2, 0, 3)])
    func blasMatmulMatchesTheNaiveKernel(_ shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var g = SplitMix(seed: UInt64(m * 1000 + k * 10 + n))
        let x = (0..<(m * k)).map { _ in g.nextFloat() }
        let w = (0..<(n * k)).map { _ in g.nextFloat() }
        let b = (0..<n).map { _ in g.nextFloat() }
        let fast = Matmul.blas(x: x, m: m, k: k, weight: w, n: n, bias: b)
        let slow = Matmul.naive(x: x, m: m, k: k, weight: w, n: n, bias: b)
        #expect(fast.count == slow.count)
        for (a, e) in zip(fast, slow) { #expect(abs(a - e) <= 1e-5 * Float(max(k, 1)), "\(a) vs \(e)") }
    }
}
