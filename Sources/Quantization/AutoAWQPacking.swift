import TensorCore

/// AutoAWQ's GEMM packing (WQLinear_GEMM, autoawq 0.2.9 `from_linear`; the format vLLM,
/// TensorRT-LLM, sglang and transformers load as `quant_method: awq`, `version: gemm`), and the
/// exact conversion to and from VLMKit's asymmetric int4 (formats/quantization.md).
///
/// For a Linear of N outputs and K inputs with groups of G inputs: `qweight` I32 [K, N/8] and
/// `qzeros` I32 [K/G, N/8], each int32 holding 8 four-bit values, value i (bits 4i…4i+3) for
/// output column 8j + order[i] with order = 0, 2, 4, 6, 1, 3, 5, 7; `scales` F16 [K/G, N];
/// ŵ = (q − z)·s. VLMKit's int4-gG stores the same q, z and s — two weights per byte along a row,
/// one zero-point byte and one f16 scale per row and group — so the conversion is a permutation
/// of nibbles: no value changes.
public enum AutoAWQPacking {
    public static let order = [0, 2, 4, 6, 1, 3, 5, 7]

    /// One Linear in VLMKit's int4 layout: `qweight` U8 [N, K/2] (even column in the low nibble),
    /// `scales` f16 bits [N, K/G], `zeros` U8 [N, K/G].
    public struct Int4Linear: Equatable {
        public var qweight: [UInt8]
        public var scales: [UInt16]
        public var zeros: [UInt8]

        public init(qweight: [UInt8], scales: [UInt16], zeros: [UInt8]) {
            self.qweight = qweight
            self.scales = scales
            self.zeros = zeros
        }

        /// The stored 0…15 of weight (row, col) of a `cols`-wide matrix (as `QuantizedMatrix.storedValue`).
        public func value(row: Int, col: Int, cols: Int) -> UInt8 {
            let byte = qweight[row * (cols / 2) + col / 2]
            return col % 2 == 0 ? byte & 0xF : byte >> 4
        }

        /// Sets the nibble of weight (row, col); it must still be 0.
        mutating func set(_ v: UInt8, row: Int, col: Int, cols: Int) {
            qweight[row * (cols / 2) + col / 2] |= col % 2 == 0 ? v : v << 4
        }

        /// (q − z)·s of weight (row, col), rounded to f16 as the other tools' dequantizations are.
        public func dequantizedF16(row: Int, col: Int, cols: Int, group: Int) -> UInt16 {
            let gi = row * (cols / group) + col / group
            return FloatConversion.f32ToF16(Float(Int(value(row: row, col: col, cols: cols)) - Int(zeros[gi])) * FloatConversion.f16ToF32(scales[gi]))
        }

        /// Every weight's (q − z)·s in f32, row-major [rows, cols]: what VLMKit's exact path computes.
        public func dequantized(rows: Int, cols: Int, group: Int) -> [Float] {
            var out = [Float](repeating: 0, count: rows * cols)
            for row in 0..<rows {
                for col in 0..<cols {
                    let gi = row * (cols / group) + col / group
                    out[row * cols + col] = Float(Int(value(row: row, col: col, cols: cols)) - Int(zeros[gi])) * FloatConversion.f16ToF32(scales[gi])
                }
            }
            return out
        }
    }

    public struct ShapeError: Error, CustomStringConvertible {
        public let description: String
    }

    static func check(rows n: Int, cols k: Int, group g: Int) throws {
        guard n > 0, k > 0, g > 0, n % 8 == 0, k % g == 0, k % 2 == 0 else {
            throw ShapeError(description: "AutoAWQ GEMM needs outputs (\(n)) a multiple of 8 and inputs (\(k)) a multiple of the group (\(g)) and of 2")
        }
    }

    /// AutoAWQ's tensors → VLMKit's. Every value is kept.
    public static func unpack(qweight: [Int32], qzeros: [Int32], scales: [UInt16], rows n: Int, cols k: Int, group g: Int) throws -> Int4Linear {
        try check(rows: n, cols: k, group: g)
        let words = n / 8, groups = k / g
        guard qweight.count == k * words, qzeros.count == groups * words, scales.count == groups * n else {
            throw ShapeError(description: "AutoAWQ tensors for [\(n), \(k)] group \(g) must be qweight [\(k), \(words)], qzeros [\(groups), \(words)], scales [\(groups), \(n)]; found \(qweight.count), \(qzeros.count), \(scales.count) values")
        }
        var m = Int4Linear(qweight: [UInt8](repeating: 0, count: n * k / 2), scales: [], zeros: [])
        for row in 0..<k {
            for j in 0..<words {
                let word = UInt32(bitPattern: qweight[row * words + j])
                for i in 0..<8 { m.set(UInt8((word >> (4 * UInt32(i))) & 0xF), row: 8 * j + order[i], col: row, cols: k) }
            }
        }
        var z = [UInt8](repeating: 0, count: n * groups), s = [UInt16](repeating: 0, count: n * groups)
        for gi in 0..<groups {
            for j in 0..<words {
                let word = UInt32(bitPattern: qzeros[gi * words + j])
                for i in 0..<8 { z[(8 * j + order[i]) * groups + gi] = UInt8((word >> (4 * UInt32(i))) & 0xF) }
            }
            for out in 0..<n { s[out * groups + gi] = scales[gi * n + out] }
        }
        m.scales = s
        m.zeros = z
        return m
    }

    /// VLMKit's int4 → AutoAWQ's tensors (for `export --format autoawq`).
    public static func pack(_ m: Int4Linear, rows n: Int, cols k: Int, group g: Int) throws -> (qweight: [Int32], qzeros: [Int32], scales: [UInt16]) {
        try check(rows: n, cols: k, group: g)
        let words = n / 8, groups = k / g
        var qw = [Int32](repeating: 0, count: k * words), qz = [Int32](repeating: 0, count: groups * words)
        var s = [UInt16](repeating: 0, count: groups * n)
        for row in 0..<k {
            for j in 0..<words {
                var word: UInt32 = 0
                for i in 0..<8 { word |= UInt32(m.value(row: 8 * j + order[i], col: row, cols: k)) << (4 * UInt32(i)) }
                qw[row * words + j] = Int32(bitPattern: word)
            }
        }
        for gi in 0..<groups {
            for j in 0..<words {
                var word: UInt32 = 0
                for i in 0..<8 { word |= UInt32(m.zeros[(8 * j + order[i]) * groups + gi] & 0xF) << (4 * UInt32(i)) }
                qz[gi * words + j] = Int32(bitPattern: word)
            }
            for out in 0..<n { s[gi * n + out] = m.scales[out * groups + gi] }
        }
        return (qw, qz, s)
    }
}
