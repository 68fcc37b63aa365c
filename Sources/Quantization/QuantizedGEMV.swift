import ReferenceRuntime
import TensorCore

/// Matrix-vector products straight from quantized storage, for decoding (one or a few rows of
/// activations): the weight is read once, never dequantized into memory. Float accumulation in
/// 16-wide SIMD lanes; each output row is computed whole by one thread, so results do not depend
/// on the thread count. `QuantizedLinear.naiveForward` is the oracle.
enum QuantizedGEMV {
    /// y[i, r] = Σ_c x[i, c] · ŵ[r, c] for i < m, written to y (row stride n).
    static func run(_ w: QuantizedMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>) {
        let k = w.cols, n = w.rows
        switch w.scheme {
        case .int8:
            w.values.withUnsafeBufferPointer { v in
                w.scales.withUnsafeBufferPointer { s in
                    Parallel.forEachChunk(n, minimumPerChunk: 16) { rows in
                        for r in rows {
                            let scale = FloatConversion.f16ToF32(s[r])
                            let row = v.baseAddress! + r * k
                            for i in 0..<m { y[i * n + r] += scale * dotInt8(row, x + i * k, k) }
                        }
                    }
                }
            }
        case let .int4(g, _):
            // x split into even and odd columns (the low and high nibbles), and per-group sums
            // for the zero-points.
            let groups = k / g
            var even = [Float](repeating: 0, count: m * k / 2), odd = even
            var sums = [Float](repeating: 0, count: m * groups)
            for i in 0..<m {
                for j in 0..<(k / 2) {
                    even[i * k / 2 + j] = x[i * k + 2 * j]
                    odd[i * k / 2 + j] = x[i * k + 2 * j + 1]
                }
                for grp in 0..<groups {
                    var acc: Float = 0
                    for c in (grp * g)..<((grp + 1) * g) { acc += x[i * k + c] }
                    sums[i * groups + grp] = acc
                }
            }
            w.values.withUnsafeBufferPointer { v in
                w.scales.withUnsafeBufferPointer { s in
                    even.withUnsafeBufferPointer { e in
                        odd.withUnsafeBufferPointer { o in
                            sums.withUnsafeBufferPointer { sm in
                                let zeros = w.zeros
                                Parallel.forEachChunk(n, minimumPerChunk: 16) { rows in
                                    for r in rows {
                                        let row = v.baseAddress! + r * k / 2
                                        for i in 0..<m {
                                            var acc: Float = 0
                                            for grp in 0..<groups {
                                                let scale = FloatConversion.f16ToF32(s[r * groups + grp])
                                                let z = Float(zeros?[r * groups + grp] ?? 8)
                                                let off = grp * g / 2
                                                let d = dotInt4(row + off, e.baseAddress! + i * k / 2 + off, o.baseAddress! + i * k / 2 + off, g / 2)
                                                acc += scale * (d - z * sm[i * groups + grp])
                                            }
                                            y[i * n + r] += acc
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func dotInt8(_ q: UnsafePointer<UInt8>, _ x: UnsafePointer<Float>, _ k: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var c = 0
        let raw = UnsafeRawPointer(q), xr = UnsafeRawPointer(x)
        while c + 32 <= k {
            let a = raw.loadUnaligned(fromByteOffset: c, as: SIMD16<Int8>.self)
            let b = raw.loadUnaligned(fromByteOffset: c + 16, as: SIMD16<Int8>.self)
            acc0 += SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: a)) * xr.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
            acc1 += SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: b)) * xr.loadUnaligned(fromByteOffset: (c + 16) * 4, as: SIMD16<Float>.self)
            c += 32
        }
        var tail: Float = 0
        while c < k { tail += Float(Int8(bitPattern: q[c])) * x[c]; c += 1 }
        return (acc0 + acc1).sum() + tail
    }

    /// Σ_j low(q[j])·e[j] + high(q[j])·o[j] over `bytes` bytes.
    @inline(__always)
    static func dotInt4(_ q: UnsafePointer<UInt8>, _ e: UnsafePointer<Float>, _ o: UnsafePointer<Float>, _ bytes: Int) -> Float {
        var lo = SIMD16<Float>(), hi = SIMD16<Float>()
        var j = 0
        let raw = UnsafeRawPointer(q), er = UnsafeRawPointer(e), orr = UnsafeRawPointer(o)
        let mask = SIMD16<UInt8>(repeating: 0x0F)
        while j + 16 <= bytes {
            let b = raw.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self)
            let l = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: b & mask))
            let h = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: b &>> 4))
            lo += l * er.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
            hi += h * orr.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
            j += 16
        }
        var tail: Float = 0
        while j < bytes {
            tail += Float(q[j] & 0x0F) * e[j] + Float(q[j] >> 4) * o[j]
            j += 1
        }
        return (lo + hi).sum() + tail
    }
}
