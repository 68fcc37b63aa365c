import Foundation

/// Element-wise and row-wise kernels on row-major Float32 buffers. Each is the plain,
/// obviously-correct form; where a faster twin exists it is tested against these.
public enum Kernels {
    /// LayerNorm over rows of width `n`: (x − mean) / √(var + eps) · w + b, statistics in Double.
    public static func layerNorm(_ x: inout [Float], width n: Int, weight: [Float], bias: [Float]?, eps: Float) {
        let bias = bias ?? [Float](repeating: 0, count: n)
        precondition(x.count % n == 0 && weight.count == n && bias.count == n)
        let rows = x.count / n
        // Rows are independent: split over threads (same result for any count).
        x.withUnsafeMutableBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    guard let xb = xp.baseAddress else { return }
                    let w = wp.baseAddress!, b = bp.baseAddress!
                    Parallel.forEachChunk(rows, minimumPerChunk: 16) { range in
                        for r in range {
                            let p = xb + r * n
                            var mean: Double = 0
                            for i in 0..<n { mean += Double(p[i]) }
                            mean /= Double(n)
                            var variance: Double = 0
                            for i in 0..<n { let d = Double(p[i]) - mean; variance += d * d }
                            variance /= Double(n)
                            let inv = 1 / (variance + Double(eps)).squareRoot()
                            for i in 0..<n { p[i] = Float((Double(p[i]) - mean) * inv) * w[i] + b[i] }
                        }
                    }
                }
            }
        }
    }

    /// Llama's RMSNorm: x / √(mean(x²) + eps) · w (statistics in Double, as HF does in float32).
    public static func rmsNorm(_ x: [Float], width n: Int, weight: [Float], eps: Float) -> [Float] {
        precondition(x.count % n == 0 && weight.count == n)
        var out = [Float](repeating: 0, count: x.count)
        let rows = x.count / n
        // Rows are independent: split over threads (same result for any count).
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    let xb = xp.baseAddress!, wb = wp.baseAddress!, ob = op.baseAddress!
                    Parallel.forEachChunk(rows, minimumPerChunk: 16) { range in
                        for r in range {
                            let row = xb + r * n, o = ob + r * n
                            var ss: Double = 0
                            for i in 0..<n { ss += Double(row[i]) * Double(row[i]) }
                            let inv = Float(1 / (ss / Double(n) + Double(eps)).squareRoot())
                            for i in 0..<n { o[i] = wb[i] * (row[i] * inv) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// GELU, exact: x · Φ(x) = x/2 · (1 + erf(x/√2)).
    @inline(__always) public static func geluErf(_ x: Float) -> Float {
        0.5 * x * (1 + Float(erf(Double(x) / 2.0.squareRoot())))
    }

    /// GELU, tanh approximation (PyTorch's approximate="tanh", HF's gelu_pytorch_tanh / gelu_new).
    @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        let c = (2 / Double.pi).squareRoot()
        let xd = Double(x)
        return Float(0.5 * xd * (1 + tanh(c * (xd + 0.044715 * xd * xd * xd))))
    }

    /// OpenAI CLIP's quick_gelu: x · σ(1.702 x).
    @inline(__always) public static func quickGelu(_ x: Float) -> Float {
        x / (1 + Float(exp(-1.702 * Double(x))))
    }

    /// SiLU: x · σ(x).
    @inline(__always) public static func silu(_ x: Float) -> Float {
        x / (1 + Float(exp(-Double(x))))
    }

    /// Applies `f` to every element, split over threads (elementwise: same result for any count).
    public static func map(_ x: inout [Float], _ f: (Float) -> Float) {
        let n = x.count
        x.withUnsafeMutableBufferPointer { p in
            let b = p.baseAddress!
            Parallel.forEachChunk(n, minimumPerChunk: 4096) { r in
                for i in r { b[i] = f(b[i]) }
            }
        }
    }

    /// The activation function HF names `name`, or nil if unsupported.
    public static func activation(named name: String) -> (@Sendable (Float) -> Float)? {
        switch name {
        case "gelu": return geluErf
        case "gelu_pytorch_tanh", "gelu_new": return geluTanh
        case "quick_gelu": return quickGelu
        case "silu", "swish": return silu
        default: return nil
        }
    }

    /// Numerically stable softmax of `count` values at `p`, in place (Double accumulation).
    public static func softmax(_ p: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var m = -Float.infinity
        for i in 0..<count { m = max(m, p[i]) }
        var sum: Double = 0
        for i in 0..<count { let e = Double(exp(p[i] - m)); p[i] = Float(e); sum += e }
        let inv = Float(1 / sum)
        for i in 0..<count { p[i] *= inv }
    }

    /// Index of the largest value; the first one on ties (as torch.argmax).
    public static func argmax(_ x: ArraySlice<Float>) -> Int {
        var best = x.startIndex
        for i in x.indices where x[i] > x[best] { best = i }
        return best - x.startIndex
    }

    /// a += b, element-wise.
    public static func add(_ a: inout [Float], _ b: [Float]) {
        precondition(a.count == b.count)
        a.withUnsafeMutableBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                for i in 0..<ap.count { ap[i] += bp[i] }
            }
        }
    }

    /// u[i] ·= SiLU(g[i]): the gated MLP's product, split over threads (elementwise).
    public static func multiplyBySiLU(_ u: inout [Float], gate g: [Float]) {
        precondition(u.count == g.count)
        u.withUnsafeMutableBufferPointer { up in
            g.withUnsafeBufferPointer { gp in
                let ub = up.baseAddress!, gb = gp.baseAddress!
                Parallel.forEachChunk(up.count, minimumPerChunk: 4096) { r in
                    for i in r { ub[i] *= silu(gb[i]) }
                }
            }
        }
    }
}
