import CKernels
import ReferenceRuntime
import TensorCore

/// Matrix-vector products straight from quantized storage, for decoding (one or a few rows of
/// activations): the weight is read once, never dequantized into memory (C kernels in
/// Sources/CKernels, AVX2+FMA when the CPU has it). Each output row is computed whole by one
/// thread, so results do not depend on the thread count. `QuantizedLinear.naiveForward` is the oracle.
enum QuantizedGEMV {
    /// y[i, r] += Σ_c x[i, c] · ŵ[r, c] for i < m (y has row stride n).
    static func run(_ w: QuantizedMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, kernels: KernelPath) {
        let k = w.cols, n = w.rows
        let int8 = kernels == .portable ? vlm_gemv_int8_portable : vlm_gemv_int8
        let int4 = kernels == .portable ? vlm_gemv_int4_portable : vlm_gemv_int4
        switch w.scheme {
        case .int8:
            w.valueBytes.withElements(UInt8.self) { v in
                w.scaleBytes.withElements(UInt16.self) { s in
                    let wp = UnsafeRawPointer(v.baseAddress!).assumingMemoryBound(to: Int8.self), sp = s.baseAddress!
                    for i in 0..<m {
                        Parallel.forEachBalancedChunk(n, minimumPerChunk: 16) { rows in
                            int8(wp, sp, k, x + i * k, y + i * n, rows.lowerBound, rows.upperBound)
                        }
                    }
                }
            }
        case let .int4(g, _):
            // x split into even and odd columns (the low and high nibbles), and per-group sums
            // for the zero-points.
            let groups = k / g
            var even = [Float](repeating: 0, count: k / 2), odd = even
            var sums = [Float](repeating: 0, count: groups)
            for i in 0..<m {
                let xi = x + i * k
                for j in 0..<(k / 2) {
                    even[j] = xi[2 * j]
                    odd[j] = xi[2 * j + 1]
                }
                for grp in 0..<groups {
                    var acc: Float = 0
                    for c in (grp * g)..<((grp + 1) * g) { acc += xi[c] }
                    sums[grp] = acc
                }
                w.valueBytes.withElements(UInt8.self) { v in
                    w.scaleBytes.withElements(UInt16.self) { s in
                        even.withUnsafeBufferPointer { e in
                            odd.withUnsafeBufferPointer { o in
                                sums.withUnsafeBufferPointer { sm in
                                    let run = { (z: UnsafePointer<UInt8>?) in
                                        Parallel.forEachBalancedChunk(n, minimumPerChunk: 16) { rows in
                                            int4(v.baseAddress!, s.baseAddress!, z, k, g, e.baseAddress!, o.baseAddress!,
                                                          sm.baseAddress!, y + i * n, rows.lowerBound, rows.upperBound)
                                        }
                                    }
                                    if let zeros = w.zeroBytes { zeros.withElements(UInt8.self) { run($0.baseAddress!) } } else { run(nil) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
