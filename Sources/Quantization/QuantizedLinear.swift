import COpenBLAS
import ReferenceRuntime

/// A Linear layer executed directly from quantized weights with float activations.
///
/// For a few activation rows (decoding) the weight is read straight from storage by SIMD
/// matrix-vector kernels (QuantizedGEMV); for more (prefill) blocks of output rows are dequantized
/// into a small buffer and multiplied with OpenBLAS sgemm, so a whole dequantized weight never
/// exists in memory. `naiveForward` is the oracle of both (one weight at a time, Double accumulation).
public struct QuantizedLinear: LinearOperator {
    public let matrix: QuantizedMatrix
    public let bias: [Float]?
    /// Output rows dequantized per block.
    public static let blockRows = 512
    /// Up to this many activation rows (decoding) go through the direct matrix-vector kernel.
    public static let gemvRows = 4

    public init(_ matrix: QuantizedMatrix, bias: [Float]?) {
        precondition(bias == nil || bias!.count == matrix.rows)
        self.matrix = matrix
        self.bias = bias
    }

    public var inFeatures: Int { matrix.cols }
    public var outFeatures: Int { matrix.rows }

    public func forward(_ x: [Float], rows m: Int) -> [Float] {
        let k = matrix.cols, n = matrix.rows
        precondition(x.count == m * k)
        var y = [Float](repeating: 0, count: m * n)
        if let bias { for i in 0..<m { for j in 0..<n { y[i * n + j] = bias[j] } } }
        guard m > 0, n > 0, k > 0 else { return y }
        if m <= Self.gemvRows {
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in QuantizedGEMV.run(matrix, x: xp.baseAddress!, m: m, y: yp.baseAddress!) }
            }
            return y
        }
        let blockRows = Self.blockRows
        var block = [Float](repeating: 0, count: blockRows * k)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                block.withUnsafeMutableBufferPointer { bp in
                    var r0 = 0
                    while r0 < n {
                        let nb = min(blockRows, n - r0)
                        let bpBase = bp.baseAddress!
                        Parallel.forEachChunk(nb, minimumPerChunk: 32) { rows in
                            for r in rows { matrix.dequantizeRow(r0 + r, into: bpBase + r * k) }
                        }
                        // y[:, r0..<r0+nb] (+)= x · blockᵀ
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(nb), Int32(k),
                                    1, xp.baseAddress, Int32(k), bp.baseAddress, Int32(k),
                                    bias == nil ? 0 : 1, yp.baseAddress! + r0, Int32(n))
                        r0 += nb
                    }
                }
            }
        }
        return y
    }

    /// The oracle: y[i, j] = Σ_c x[i, c] · ŵ[j, c] + b[j], each ŵ decoded from its stored integer.
    public func naiveForward(_ x: [Float], rows m: Int) -> [Float] {
        let k = matrix.cols, n = matrix.rows
        var y = [Float](repeating: 0, count: m * n)
        for j in 0..<n {
            for i in 0..<m {
                var acc = 0.0
                for c in 0..<k {
                    let q = Double(matrix.storedValue(row: j, col: c))
                    let w: Double
                    switch matrix.scheme {
                    case .int8:
                        w = q * Double(matrix.scale(row: j, col: c))
                    case let .int4(g, _):
                        let grp = j * (k / g) + c / g
                        let z = Double(matrix.zeros?[grp] ?? 8)
                        w = (q - z) * Double(matrix.scale(row: j, col: c))
                    }
                    acc += Double(x[i * k + c]) * w
                }
                y[i * n + j] = Float(acc + Double(bias?[j] ?? 0))
            }
        }
        return y
    }
}

