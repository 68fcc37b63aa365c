import ReferenceRuntime

/// A Linear layer executed directly from quantized weights.
///
/// When the activation precision (the compute context's, or the layer's own) rounds this layer's
/// activations, the rows are rounded to int8 per block of 32 and multiplied by the integer-dot
/// kernels (`IntegerDot`), if the scheme has them. With float activations (the exact path), for
/// a few activation rows (decoding) the weight is read straight from storage by the matrix-vector
/// kernels (QuantizedGEMV); for more (prefill) blocks of output rows are dequantized and
/// multiplied with sgemm (BlockedLinear), so a whole dequantized weight never exists in memory.
/// `naiveForward` is the oracle of the float path (one weight at a time, Double accumulation).
public struct QuantizedLinear: LinearOperator {
    public let matrix: QuantizedMatrix
    public let bias: [Float]?
    /// The kernels this layer calls; nil = those of the compute context in progress.
    public var kernels: KernelPath?
    /// The activation precision this layer uses; nil = that of the compute context in progress.
    public var activations: ActivationPrecision?
    public init(_ matrix: QuantizedMatrix, bias: [Float]?) {
        precondition(bias == nil || bias!.count == matrix.rows)
        self.matrix = matrix
        self.bias = bias
    }

    public var inFeatures: Int { matrix.cols }
    public var outFeatures: Int { matrix.rows }

    public func rowWork(_ x: UnsafePointer<Float>, rows m: Int) -> RowWork {
        // Read on the calling thread: worker threads do not see task-local values.
        let path = kernels ?? ComputeContext.current.kernels
        let bits = matrix.scheme == .int8 ? 8 : 4
        if (activations ?? ComputeContext.current.activations).roundsActivations(weightBits: bits), IntegerDot.supports(matrix.scheme) {
            let run = IntegerDot.prepare(matrix, x: x, m: m, kernels: path)
            return RowWork(outFeatures: matrix.rows, bias: bias) { features, y, _ in run(features, y) }
        }
        let matrix = matrix
        return BlockedLinear.work(x, rows: m, k: matrix.cols, n: matrix.rows, bias: bias,
                                  gemv: m <= BlockedLinear.gemvRows ? QuantizedGEMV.prepare(matrix, x: x, m: m, kernels: path) : { _, _ in },
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

