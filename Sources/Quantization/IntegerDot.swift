import CKernels
import ReferenceRuntime

/// Quantized Linears with activations rounded to 8 bits (`ActivationPrecision.int8`): each
/// activation row is rounded once per block of 32 columns (an f32 scale per block), then the
/// integer-dot kernels (Sources/CKernels/q8dot.c: AVX2 maddubs, NEON sdot, portable C) sum
/// weight × activation products per block in integers, for any number of rows (decoding and
/// prefill alike). Every output element is computed whole by one thread, so results do not
/// depend on the thread count. The oracle is `QuantizedLinear.naiveForward` on the rounded
/// activations (`IntegerDot.rounded`); formats/quantization.md states the error this rounding adds.
public enum IntegerDot {
    public static let block = Int(VLM_Q8_BLOCK)

    /// Whether `scheme` has integer-dot kernels: int8, and int4 whose groups are whole blocks.
    public static func supports(_ scheme: QuantScheme) -> Bool {
        switch scheme {
        case .int8: return true
        case let .int4(g, _): return g % block == 0
        }
    }

    /// Activation rows rounded as the kernels see them: [m, blocks · 32] int8 (each block's
    /// columns in order, or for int4 weights in nibble order: even columns, then odd ones),
    /// per-block scales, and per-block scale × sum (for zero-points).
    struct Rounded {
        let blocks: Int
        var values: [Int8]
        var scales: [Float]
        var scaledSums: [Float]
    }

    /// The order the kernels of `scheme` want each block's rounded columns in.
    static func order(for scheme: QuantScheme) -> Int32 {
        scheme == .int8 ? Int32(VLM_Q8_COLUMN_ORDER) : Int32(VLM_Q8_NIBBLE_ORDER)
    }

    static func round(_ x: UnsafePointer<Float>, rows m: Int, k: Int, order: Int32 = Int32(VLM_Q8_COLUMN_ORDER)) -> Rounded {
        let blocks = (k + block - 1) / block
        var r = Rounded(blocks: blocks, values: [Int8](repeating: 0, count: m * blocks * block),
                        scales: [Float](repeating: 0, count: m * blocks), scaledSums: [Float](repeating: 0, count: m * blocks))
        r.values.withUnsafeMutableBufferPointer { q in
            r.scales.withUnsafeMutableBufferPointer { d in
                r.scaledSums.withUnsafeMutableBufferPointer { ds in
                    let qb = q.baseAddress!, db = d.baseAddress!, dsb = ds.baseAddress!
                    Parallel.forEachChunk(m, minimumPerChunk: 4) { rows in
                        for i in rows { vlm_quantize_q8(x + i * k, k, order, qb + i * blocks * block, db + i * blocks, dsb + i * blocks) }
                    }
                }
            }
        }
        return r
    }

    /// The activations' rounded values as floats ([m, k]): what the integer path multiplies, for oracles.
    public static func rounded(_ x: [Float], rows m: Int, k: Int) -> [Float] {
        let r = x.withUnsafeBufferPointer { round($0.baseAddress!, rows: m, k: k) }
        var out = [Float](repeating: 0, count: m * k)
        for i in 0..<m {
            for c in 0..<k { out[i * k + c] = r.scales[i * r.blocks + c / block] * Float(r.values[i * r.blocks * block + c]) }
        }
        return out
    }

    /// Rounds the m activation rows at x and returns the kernel call that adds
    /// y[i, r] += Σ_c x̃[i, c] · ŵ[r, c] for every i < m and the given output features r (y has row
    /// stride n), x̃ the rounded activations.
    static func prepare(_ w: QuantizedMatrix, x: UnsafePointer<Float>, m: Int, kernels: KernelPath)
        -> (_ features: Range<Int>, _ y: UnsafeMutablePointer<Float>) -> Void {
        precondition(supports(w.scheme))
        let k = w.cols, n = w.rows
        if m == 0 || k == 0 { return { _, _ in } }   // nothing to add
        let r = round(x, rows: m, k: k, order: order(for: w.scheme))
        return { features, y in
            r.values.withUnsafeBufferPointer { q in
                r.scales.withUnsafeBufferPointer { d in
                    r.scaledSums.withUnsafeBufferPointer { ds in
                        w.valueBytes.withElements(UInt8.self) { v in
                            w.scaleBytes.withElements(UInt16.self) { s in
                                let qb = q.baseAddress!, db = d.baseAddress!, dsb = ds.baseAddress!, vb = v.baseAddress!, sb = s.baseAddress!
                                switch w.scheme {
                                case .int8:
                                    let gemm = kernels == .portable ? vlm_gemm_int8_q8_portable : vlm_gemm_int8_q8
                                    let wb = UnsafeRawPointer(vb).assumingMemoryBound(to: Int8.self)
                                    gemm(wb, sb, k, m, qb, db, y, n, features.lowerBound, features.upperBound)
                                case let .int4(g, _):
                                    let gemm = kernels == .portable ? vlm_gemm_int4_q8_portable : vlm_gemm_int4_q8
                                    let go = { (z: UnsafePointer<UInt8>?) in
                                        gemm(vb, sb, z, k, g, m, qb, db, dsb, y, n, features.lowerBound, features.upperBound)
                                    }
                                    if let zeros = w.zeroBytes { zeros.withElements(UInt8.self) { go($0.baseAddress!) } } else { go(nil) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
