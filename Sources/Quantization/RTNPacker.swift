import CKernels
import ReferenceRuntime
import TensorCore

/// RTN in one parallel pass from the weights as stored (f32, f16 or bf16, read in place) to the
/// stored bytes, with the error statistics of every row computed on the way
/// (Sources/CKernels/rtnpack.c). It writes exactly the bytes of `RTNQuantizer.naiveQuantize`, the
/// oracle (tested on every scheme, dtype and rounding edge), without a float copy of the weight
/// or a dequantized one for the statistics. Rows are independent: the result does not depend on
/// the thread count.
public enum RTNPacker {
    public struct Packed: Sendable {
        public var values: [UInt8]
        public var scales: [UInt16]
        public var zeros: [UInt8]?
        public var stats: QuantStats

        public func matrix(_ scheme: QuantScheme, rows: Int, cols: Int) -> QuantizedMatrix {
            QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, values: values, scales: scales, zeros: zeros)
        }
    }

    public enum Failure: Error, Equatable {
        /// Some weight is NaN or infinite.
        case nonFinite
        /// This row (the first) needs a scale beyond float16.
        case scaleOverflow(row: Int)
    }

    static func mode(_ scheme: QuantScheme) -> Int32 {
        switch scheme {
        case .int8: return Int32(VLM_FQ_INT8)
        case .int4(_, true): return Int32(VLM_FQ_INT4_SYM)
        case .int4(_, false): return Int32(VLM_FQ_INT4_ASYM)
        }
    }

    /// The kernels' code for a stored dtype, nil for one they do not read.
    static func code(_ dtype: DType) -> Int32? {
        switch dtype {
        case .f32: return Int32(VLM_DT_F32)
        case .f16: return Int32(VLM_DT_F16)
        case .bf16: return Int32(VLM_DT_BF16)
        default: return nil
        }
    }

    public static func canRead(_ dtype: DType) -> Bool { code(dtype) != nil }

    /// Packs `raw` (rows × cols elements of `dtype`); `cols` must be a multiple of the scheme's group.
    public static func pack(_ raw: UnsafeRawBufferPointer, dtype: DType, rows: Int, cols: Int, scheme: QuantScheme,
                            kernels: KernelPath = .native, threads: Int) -> Result<Packed, Failure> {
        guard let dt = code(dtype) else { preconditionFailure("RTNPacker reads f32, f16 and bf16, not \(dtype)") }
        let g = scheme.groupSize ?? max(cols, 1)
        precondition(g > 0 && cols % g == 0 && (scheme == .int8 || g % 2 == 0))
        if rows == 0 || cols == 0 {
            return .success(Packed(values: [], scales: [], zeros: scheme == .int4(groupSize: g, symmetric: false) ? [] : nil,
                                   stats: QuantStats(nmse: 0, maxAbsError: 0, elements: 0)))
        }
        precondition(raw.count == rows * cols * (dtype == .f32 ? 4 : 2))
        let src = raw.baseAddress!
        let groups = rows * (cols / g)
        var values = [UInt8](repeating: 0, count: scheme == .int8 ? rows * cols : rows * cols / 2)
        var scales = [UInt16](repeating: 0, count: scheme == .int8 ? rows : groups)
        var zeros: [UInt8]? = scheme == .int4(groupSize: g, symmetric: false) ? [UInt8](repeating: 0, count: groups) : nil
        var stats = [Double](repeating: 0, count: 3 * rows)
        var status = [UInt8](repeating: 0, count: rows)
        let run = kernels == .portable ? vlm_rtn_quantize_portable : vlm_rtn_quantize
        let m = mode(scheme)
        values.withUnsafeMutableBufferPointer { v in
            scales.withUnsafeMutableBufferPointer { s in
                stats.withUnsafeMutableBufferPointer { st in
                    status.withUnsafeMutableBufferPointer { bad in
                        let vb = v.baseAddress!, sb = s.baseAddress!, stb = st.baseAddress!, bb = bad.baseAddress!
                        func go(_ z: UnsafeMutablePointer<UInt8>?) {
                            Parallel.withThreads(threads) {
                                Parallel.forEachChunk(rows, minimumPerChunk: 8) { r in
                                    run(src, dt, cols, g, m, vb, sb, z, stb, bb, r.lowerBound, r.upperBound)
                                }
                            }
                        }
                        if zeros != nil { zeros!.withUnsafeMutableBufferPointer { go($0.baseAddress!) } } else { go(nil) }
                    }
                }
            }
        }
        if status.contains(UInt8(VLM_FQ_NONFINITE)) { return .failure(.nonFinite) }
        if let r = status.firstIndex(of: UInt8(VLM_FQ_OVERFLOW)) { return .failure(.scaleOverflow(row: r)) }
        var err = 0.0, ref = 0.0, maxAbs = 0.0
        for r in 0..<rows {
            err += stats[3 * r]
            ref += stats[3 * r + 1]
            maxAbs = max(maxAbs, stats[3 * r + 2])
        }
        return .success(Packed(values: values, scales: scales, zeros: zeros,
                               stats: QuantStats(nmse: ref == 0 ? 0 : err / ref, maxAbsError: maxAbs, elements: rows * cols)))
    }

    /// Packs f32 weights, with RTNQuantizer's errors.
    public static func pack(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, name: String, kernels: KernelPath = .native,
                            threads: Int) throws -> Packed {
        precondition(w.count == rows * cols)
        if let g = scheme.groupSize, cols % g != 0 {
            throw QuantizationError.groupDoesNotDivide(tensor: name, columns: cols, groupSize: g)
        }
        let result = w.withUnsafeBytes { pack($0, dtype: .f32, rows: rows, cols: cols, scheme: scheme, kernels: kernels, threads: threads) }
        switch result {
        case let .success(p): return p
        case .failure(.nonFinite): throw QuantizationError.nonFinite(tensor: name)
        case let .failure(.scaleOverflow(r)): throw QuantizationError.scaleOverflow(tensor: name, row: r)
        }
    }
}
