import TensorCore
import TensorIO

/// A quantized [rows, cols] weight (rows = output features) as stored and as executed.
///
/// Storage (formats/quantization.md):
/// - int8: `values` holds one signed byte per weight, row-major; `scales` one f16 per row.
/// - int4: `values` holds two weights per byte, row-major, the even column in the low nibble, as
///   unsigned 0…15; `scales` one f16 per (row, group); `zeros` one byte per (row, group) holding
///   the zero-point 0…15 (asymmetric), or nil for symmetric groups, whose zero-point is 8.
/// Dequantization: int8 w = q·s; int4 w = (u − z)·s, with s the f16 scale widened to f32.
///
/// Read from a quantized folder or bundle the three parts are used in place (the store's mapped
/// bytes, `StoredBytes`); made by the quantizer they are owned buffers.
public struct QuantizedMatrix: Sendable, Equatable {
    public let scheme: QuantScheme
    public let rows: Int
    public let cols: Int
    public let valueBytes: StoredBytes
    /// f16 scales (2-byte aligned).
    public let scaleBytes: StoredBytes
    public let zeroBytes: StoredBytes?

    public init(scheme: QuantScheme, rows: Int, cols: Int, values: [UInt8], scales: [UInt16], zeros: [UInt8]?) {
        self.init(scheme: scheme, rows: rows, cols: cols, valueBytes: StoredBytes(copying: values),
                  scaleBytes: StoredBytes(copying: scales), zeroBytes: zeros.map { StoredBytes(copying: $0) })
    }

    public init(scheme: QuantScheme, rows: Int, cols: Int, valueBytes: StoredBytes, scaleBytes: StoredBytes, zeroBytes: StoredBytes?) {
        self.scheme = scheme
        self.rows = rows
        self.cols = cols
        self.valueBytes = valueBytes
        self.scaleBytes = scaleBytes
        self.zeroBytes = zeroBytes
    }

    /// Copies of the three parts (for writers and tests; kernels read the bytes in place).
    public var values: [UInt8] { valueBytes.array(UInt8.self) }
    public var scales: [UInt16] { scaleBytes.array(UInt16.self) }
    public var zeros: [UInt8]? { zeroBytes?.array(UInt8.self) }

    public static func == (a: QuantizedMatrix, b: QuantizedMatrix) -> Bool {
        a.scheme == b.scheme && a.rows == b.rows && a.cols == b.cols && a.values == b.values && a.scales == b.scales && a.zeros == b.zeros
    }

    public var groupsPerRow: Int { scheme.groupSize.map { cols / $0 } ?? 1 }

    /// Dequantizes one row into `out` (count `cols`).
    @inline(__always)
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        switch scheme {
        case .int8:
            let s = scale(row: r, col: 0)
            valueBytes.withElements(UInt8.self) { v in
                let row = UnsafeRawPointer(v.baseAddress! + r * cols)
                let o = UnsafeMutableRawPointer(out)
                var c = 0
                while c + 16 <= cols {
                    let q = row.loadUnaligned(fromByteOffset: c, as: SIMD16<Int8>.self)
                    o.storeBytes(of: SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q)) * s, toByteOffset: c * 4, as: SIMD16<Float>.self)
                    c += 16
                }
                while c < cols { out[c] = Float(Int8(bitPattern: v[r * cols + c])) * s; c += 1 }
            }
        case let .int4(g, _):
            let gpr = cols / g
            valueBytes.withElements(UInt8.self) { v in
                let base = r * cols / 2
                // One table of the 16 decoded values per group, then two lookups per byte.
                var table = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                             Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
                withUnsafeMutableBytes(of: &table) { tb in
                    let t = tb.baseAddress!.assumingMemoryBound(to: Float.self)
                    for grp in 0..<gpr {
                        let s = FloatConversion.f16ToF32(scaleBytes.elements(UInt16.self)[r * gpr + grp])
                        let z = Float(zeroBytes.map { $0.elements(UInt8.self)[r * gpr + grp] } ?? 8)
                        for u in 0..<16 { t[u] = (Float(u) - z) * s }
                        let start = grp * g
                        for c in stride(from: start, to: start + g, by: 2) {
                            let byte = v[base + c / 2]
                            out[c] = t[Int(byte & 0x0F)]
                            out[c + 1] = t[Int(byte >> 4)]
                        }
                    }
                }
            }
        }
    }

    /// The whole weight dequantized, row-major.
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows { dequantizeRow(r, into: p.baseAddress! + r * cols) }
        }
        return out
    }

    /// The stored integer of one weight (int8: −127…127; int4: 0…15 before the zero-point).
    public func storedValue(row r: Int, col c: Int) -> Int {
        let values = valueBytes.elements(UInt8.self)
        switch scheme {
        case .int8: return Int(Int8(bitPattern: values[r * cols + c]))
        case .int4:
            let byte = values[(r * cols + c) / 2]
            return Int(c % 2 == 0 ? byte & 0x0F : byte >> 4)
        }
    }

    /// The f32 value of the scale that applies to weight (row, col).
    public func scale(row: Int, col: Int) -> Float {
        let scales = scaleBytes.elements(UInt16.self)
        switch scheme {
        case .int8: return FloatConversion.f16ToF32(scales[row])
        case let .int4(g, _): return FloatConversion.f16ToF32(scales[row * (cols / g) + col / g])
        }
    }

    /// The zero-point of weight (row, col): the stored one (asymmetric int4), else 8 (symmetric
    /// int4) or 0 (int8).
    public func zeroPoint(row: Int, col: Int) -> Int {
        guard case let .int4(g, _) = scheme else { return 0 }
        return Int(zeroBytes.map { $0.elements(UInt8.self)[row * (cols / g) + col / g] } ?? 8)
    }

    public var storedBytes: Int { valueBytes.count + scaleBytes.count + (zeroBytes?.count ?? 0) }
}
