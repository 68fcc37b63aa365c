import CKernels
import ReferenceRuntime
import TensorCore

/// Matrix-vector products straight from quantized storage, for decoding (one or a few rows of
/// activations): the weight is read once, never dequantized into memory (C kernels in
/// Sources/CKernels, AVX2+FMA when the CPU has it). Each output row is computed whole by one
/// call, so results do not depend on how rows are split over threads. `QuantizedLinear.naiveForward`
/// is the oracle.
enum QuantizedGEMV {
    /// Prepares the m activation rows at x and returns the kernel call that adds
    /// y[i, r] += Σ_c x[i, c] · ŵ[r, c] for every i < m and the given output features r (y has row
    /// stride n). For int4, x is split into even and odd columns (the low and high nibbles), with
    /// per-group sums for the zero-points.
    static func prepare(_ w: QuantizedMatrix, x: UnsafePointer<Float>, m: Int, kernels: KernelPath)
        -> (_ features: Range<Int>, _ y: UnsafeMutablePointer<Float>) -> Void {
        let k = w.cols, n = w.rows
        switch w.scheme {
        case .int8:
            let int8 = kernels == .portable ? vlm_gemv_int8_portable : vlm_gemv_int8
            return { features, y in
                w.valueBytes.withElements(UInt8.self) { v in
                    w.scaleBytes.withElements(UInt16.self) { s in
                        let wp = UnsafeRawPointer(v.baseAddress!).assumingMemoryBound(to: Int8.self)
                        for i in 0..<m {
                            int8(wp, s.baseAddress!, k, x + i * k, y + i * n, features.lowerBound, features.upperBound)
                        }
                    }
                }
            }
        case let .int4(g, _):
            let groups = k / g, half = k / 2
            var even = [Float](repeating: 0, count: m * half), odd = even
            var sums = [Float](repeating: 0, count: m * groups)
            for i in 0..<m {
                let xi = x + i * k
                for j in 0..<half {
                    even[i * half + j] = xi[2 * j]
                    odd[i * half + j] = xi[2 * j + 1]
                }
                for grp in 0..<groups {
                    var acc: Float = 0
                    for c in (grp * g)..<((grp + 1) * g) { acc += xi[c] }
                    sums[i * groups + grp] = acc
                }
            }
            let int4 = kernels == .portable ? vlm_gemv_int4_portable : vlm_gemv_int4
            let (e, o, sm) = (even, odd, sums)
            return { features, y in
                w.valueBytes.withElements(UInt8.self) { v in
                    w.scaleBytes.withElements(UInt16.self) { s in
                        e.withUnsafeBufferPointer { e in
                            o.withUnsafeBufferPointer { o in
                                sm.withUnsafeBufferPointer { sm in
                                    let go = { (z: UnsafePointer<UInt8>?) in
                                        for i in 0..<m {
                                            int4(v.baseAddress!, s.baseAddress!, z, k, g, e.baseAddress! + i * half, o.baseAddress! + i * half,
                                                 sm.baseAddress! + i * groups, y + i * n, features.lowerBound, features.upperBound)
                                        }
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
