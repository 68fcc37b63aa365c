import ReferenceRuntime

/// A Linear layer executed directly from quantized weights with float activations.
///
/// For a few activation rows (decoding) the weight is read straight from storage by the
/// matrix-vector kernels (QuantizedGEMV); for more (prefill) blocks of output rows are dequantized
/// and multiplied with sgemm (BlockedLinear), so a whole dequantized weight never exists in memory. `naiveForward` is the oracle of both (one weight at a time, Double accumulation).
public struct QuantizedLinear: LinearOperator {
    public let matrix: QuantizedMatrix
    public let bias: [Float]?
    /// The kernels this layer calls; nil = those of the compute context in progress.
    public var kernels: KernelPath?
    public init(_ matrix: QuantizedMatrix, bias: [Float]?) {
        precondition(bias == nil || bias!.count == matrix.rows)
        self.matrix = matrix
        self.bias = bias
    }

    public var inFeatures: Int { matrix.cols }
    public var outFeatures: Int { matrix.rows }

    public func forward(_ x: [Float], rows m: Int) -> [Float] {
        // Read on the calling thread: worker threads do not see task-local values.
        let path = kernels ?? ComputeContext.current.kernels
        return BlockedLinear.forward(x, rows: m, k: matrix.cols, n: matrix.rows, bias: bias,
                              gemv: { xp, yp in QuantizedGEMV.run(matrix, x: xp, m: m, y: yp, kernels: path) },
                              widenRow: { r, out in matrix.dequantizeRow(r, into: out) })
    }

    public func weightRow(_ r: Int, into out: UnsafeMutablePointer<Float>) { matrix.dequantizeRow(r, into: out) }

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
                    case .int4:
                        w = (q - Double(matrix.zeroPoint(row: j, col: c))) * Double(matrix.scale(row: j, col: c))
                    }
                    acc += Double(x[i * k + c]) * w
                }
                y[i * n + j] = Float(acc + Double(bias?[j] ?? 0))
            }
        }
        return y
    }
}

