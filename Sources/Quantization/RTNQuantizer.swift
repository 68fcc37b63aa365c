import ReferenceRuntime
import TensorCore

/// Round-to-nearest quantization (formats/quantization.md). Rounding is to nearest, ties to even
/// (as torch.round), and uses the scale after it has been rounded to float16, the value a
/// deployed kernel multiplies by. Rows are independent, so they are spread over threads; the
/// result does not depend on the thread count. `quantize` runs the C packer (RTNPacker);
/// `naiveQuantize` is its Swift oracle.
public enum RTNQuantizer {
    /// Smallest group range used for int4 asymmetric scales (as AutoAWQ: (max − min).clamp(min=1e-5)).
    public static let minimumRange: Float = 1e-5

    public static func quantize(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, name: String = "weight",
                                threads: Int = 1) throws -> QuantizedMatrix {
        try RTNPacker.pack(w, rows: rows, cols: cols, scheme: scheme, name: name, threads: threads).matrix(scheme, rows: rows, cols: cols)
    }

    /// The oracle of `quantize` (and of RTNPacker): one weight at a time in Swift.
    public static func naiveQuantize(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, name: String = "weight",
                                     threads: Int = 1) throws -> QuantizedMatrix {
        precondition(w.count == rows * cols)
        if let g = scheme.groupSize, cols % g != 0 {
            throw QuantizationError.groupDoesNotDivide(tensor: name, columns: cols, groupSize: g)
        }
        guard w.allSatisfy({ $0.isFinite }) else { throw QuantizationError.nonFinite(tensor: name) }
        let gpr = scheme.groupSize.map { cols / $0 } ?? 1
        var values = [UInt8](repeating: 0, count: scheme == .int8 ? rows * cols : rows * cols / 2)
        var scales = [UInt16](repeating: 0, count: rows * gpr)
        var hasZeros = false
        if case .int4(_, false) = scheme { hasZeros = true }
        var zeroBuffer = [UInt8](repeating: 0, count: hasZeros ? rows * gpr : 0)
        var badRows = [UInt8](repeating: 0, count: rows)
        w.withUnsafeBufferPointer { wp in
            values.withUnsafeMutableBufferPointer { vp in
                scales.withUnsafeMutableBufferPointer { sp in
                  zeroBuffer.withUnsafeMutableBufferPointer { zbp in
                    badRows.withUnsafeMutableBufferPointer { bp in
                        let zp = hasZeros ? zbp.baseAddress : nil
                        let vBase = vp.baseAddress!, sBase = sp.baseAddress!, wBase = wp.baseAddress!, badBase = bp.baseAddress!
                        // Rows are independent: any split gives the same bytes.
                        Parallel.withThreads(threads) {
                            Parallel.forEachChunk(rows) { range in
                                for r in range where !quantizeRow(r, w: wBase, cols: cols, scheme: scheme,
                                                                  values: vBase, scales: sBase, zeros: zp) {
                                    badBase[r] = 1
                                }
                            }
                        }
                    }
                  }
                }
            }
        }
        let overflowRow = badRows.firstIndex(of: 1) ?? -1
        if overflowRow >= 0 { throw QuantizationError.scaleOverflow(tensor: name, row: overflowRow) }
        return QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, values: values, scales: scales,
                               zeros: hasZeros ? zeroBuffer : nil)
    }

    /// Quantizes row `r`; false when its scale overflows float16.
    static func quantizeRow(_ r: Int, w: UnsafePointer<Float>, cols: Int, scheme: QuantScheme,
                            values: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<UInt16>,
                            zeros: UnsafeMutablePointer<UInt8>?) -> Bool {
        let row = w + r * cols
        switch scheme {
        case .int8:
            var m: Float = 0
            for c in 0..<cols { m = max(m, abs(row[c])) }
            let s16 = FloatConversion.f32ToF16(m / 127)
            let s = FloatConversion.f16ToF32(s16)
            guard s.isFinite else { return false }
            scales[r] = s16
            guard s > 0 else { return true }
            for c in 0..<cols {
                let q = min(127, max(-127, (row[c] / s).rounded(.toNearestOrEven)))
                values[r * cols + c] = UInt8(bitPattern: Int8(q))
            }
            return true

        case let .int4(g, symmetric):
            let gpr = cols / g
            var u = [UInt8](repeating: 0, count: g)
            for grp in 0..<gpr {
                let start = grp * g
                var lo = Float.infinity, hi = -Float.infinity, amax: Float = 0
                for c in 0..<g {
                    let x = row[start + c]
                    lo = min(lo, x); hi = max(hi, x); amax = max(amax, abs(x))
                }
                let s16 = symmetric ? FloatConversion.f32ToF16(amax / 7)
                                    : FloatConversion.f32ToF16(max(hi - lo, minimumRange) / 15)
                let s = FloatConversion.f16ToF32(s16)
                guard s.isFinite else { return false }
                scales[r * gpr + grp] = s16
                if symmetric {
                    for c in 0..<g {
                        let q = s > 0 ? min(7, max(-8, (row[start + c] / s).rounded(.toNearestOrEven))) : 0
                        u[c] = UInt8(Int(q) + 8)
                    }
                } else {
                    let z = s > 0 ? min(15, max(0, (-lo / s).rounded(.toNearestOrEven))) : 0
                    zeros![r * gpr + grp] = UInt8(z)
                    for c in 0..<g {
                        let q = s > 0 ? min(15, max(0, (row[start + c] / s).rounded(.toNearestOrEven) + z)) : z
                        u[c] = UInt8(q)
                    }
                }
                let byteBase = (r * cols + start) / 2
                for c in stride(from: 0, to: g, by: 2) { values[byteBase + c / 2] = u[c] | (u[c + 1] << 4) }
            }
            return true
        }
    }

    /// Quantizes then dequantizes: what the weight becomes on the device. Through the Swift
    /// oracle, since this is the oracle of the C kernels (FakeQuantizer, the search's scoring).
    public static func fakeQuantize(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, threads: Int = 1) throws -> [Float] {
        try naiveQuantize(w, rows: rows, cols: cols, scheme: scheme, threads: threads).dequantized()
    }
}
