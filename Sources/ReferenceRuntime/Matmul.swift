import CKernels

/// y = x · Wᵀ (+ b) for a row-major activation x [m, k] and a weight W [n, k] stored as
/// PyTorch's Linear stores it. The naive kernel is the oracle for the OpenBLAS one.
public enum Matmul {
    /// Straightforward triple loop with Double accumulation: slow, obviously right.
    public static func naive(x: [Float], m: Int, k: Int, weight: [Float], n: Int, bias: [Float]? = nil) -> [Float] {
        precondition(x.count == m * k && weight.count == n * k)
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Double = 0
                for p in 0..<k { acc += Double(x[i * k + p]) * Double(weight[j * k + p]) }
                if let bias { acc += Double(bias[j]) }
                y[i * n + j] = Float(acc)
            }
        }
        return y
    }

    /// The [m, n] output buffer of a Linear, holding the bias in every row (zeros without one).
    public static func output(rows m: Int, n: Int, bias: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        guard let bias, n > 0 else { return y }
        y.withUnsafeMutableBufferPointer { yp in
            bias.withUnsafeBufferPointer { bp in
                for i in 0..<m { (yp.baseAddress! + i * n).update(from: bp.baseAddress!, count: n) }
            }
        }
        return y
    }

    /// What `naive` computes, through OpenBLAS sgemm (`Gemm`).
    public static func blas(x: [Float], m: Int, k: Int, weight: [Float], n: Int, bias: [Float]? = nil,
                            kernels: KernelPath = ComputeContext.current.kernels) -> [Float] {
        precondition(x.count == m * k && weight.count == n * k)
        var y = output(rows: m, n: n, bias: bias)
        if m == 0 || n == 0 { return y }
        if k > 0 && m == 1 {
            // One row (decoding): our matrix-vector kernel reads the weight once, without sgemm's
            // packing copies, on our threads (OpenBLAS's would spin between calls).
            x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    y.withUnsafeMutableBufferPointer { yp in
                        let yb = yp.baseAddress!
                        let gemv = kernels == .portable ? vlm_gemv_f32_portable : vlm_gemv_f32
                        Parallel.forEachChunk(n, minimumPerChunk: 16) { rows in
                            gemv(wp.baseAddress!, k, xp.baseAddress!, yb, rows.lowerBound, rows.upperBound)
                        }
                    }
                }
            }
        } else if k > 0 {
            x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    y.withUnsafeMutableBufferPointer { yp in
                        Gemm.sgemm(m: m, n: n, k: k, a: xp.baseAddress!, lda: k, b: wp.baseAddress!, ldb: k,
                                   transposedB: true, beta: bias == nil ? 0 : 1, c: yp.baseAddress!, ldc: n)
                    }
                }
            }
        }
        return y
    }
}
