import TensorCore
import TestSupport
import ReferenceRuntime
import Testing
@testable import Quantization

/// Layers run together in one parallel pass (q/k/v, gate/up) give exactly what each gives alone,
/// for every kind of layer and row count (decode rows, prefill rows, the integer-dot path), and
/// the same bits for any thread count.
@Suite struct FusedLinearTests {
    static func layers() throws -> [any LinearOperator] {
        var g = SplitMix(seed: 41)
        let k = 96
        func values(_ n: Int) -> [Float] { (0..<(n * k)).map { _ in g.nextFloat() } }
        var int4 = QuantizedLinear(try RTNQuantizer.quantize(values(300), rows: 300, cols: k, scheme: .int4(groupSize: 32, symmetric: false)),
                                   bias: (0..<300).map { Float($0) / 100 })
        int4.activations = .int8
        var int8 = QuantizedLinear(try RTNQuantizer.quantize(values(17), rows: 17, cols: k, scheme: .int8), bias: nil)
        int8.activations = .float
        let half = HalfLinear(weight: values(260).map(FloatConversion.f32ToF16), isBF16: false, bias: nil, outFeatures: 260, inFeatures: k)
        let float = FloatLinear(weight: values(5), bias: [1, 2, 3, 4, 5], outFeatures: 5, inFeatures: k)
        return [int4, int8, half, float]
    }

    @Test(arguments: [1, 3, 7, 40])
    func fusedEqualsEachLayerAlone(_ m: Int) throws {
        let layers = try Self.layers()
        var g = SplitMix(seed: UInt64(m))
        let x = (0..<(m * 96)).map { _ in g.nextFloat() }
        let fused = Parallel.withThreads(2) { FusedLinear.forward(layers, x, rows: m) }
        #expect(fused.count == layers.count)
        for (j, layer) in layers.enumerated() {
            #expect(fused[j] == Parallel.withThreads(2) { layer.forward(x, rows: m) }, "layer \(j), \(m) rows")
            #expect(fused[j].count == m * layer.outFeatures)
        }
        #expect(Parallel.withThreads(1) { FusedLinear.forward(layers, x, rows: m) } == fused)
        #expect(Parallel.withThreads(3) { FusedLinear.forward(layers, x, rows: m) } == fused)
    }

    @Test func noRowsAndNoLayers() throws {
        #expect(FusedLinear.forward([], [], rows: 0).isEmpty)
        #expect(FusedLinear.forward(try Self.layers(), [], rows: 0).allSatisfy(\.isEmpty))
    }
}
