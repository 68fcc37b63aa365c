import CKernels
import ReferenceRuntime

/// What RTN makes of a weight matrix, as f32, in one pass over caller-owned buffers: AWQ's
/// candidates (scale search and clipping search) are fake-quantized twenty times per group, and
/// quantizing to packed bytes, unpacking and re-allocating each time cost more than the matrix
/// products that score them.
///
/// Same bits as `RTNQuantizer.fakeQuantize` (the oracle, kept beside it) after the same column
/// scaling and clamping: every step is one IEEE operation in the same order (C kernel
/// `vlm_fake_quant`, AVX2 or portable; `FakeQuantizerTests` checks all three agree).
enum FakeQuantizer {
    /// Fake-quantizes `w` [rows, cols] into `out` (may not alias `w`; distinct labels from the
    /// array form, so that `&array` never converts to a pointer here): per element
    /// x = w · columnScales[c], clamped to ±clip[row · groups + group], rounded and dequantized
    /// with `scheme`, then divided by columnScales[c]. Either option may be nil.
    static func apply(from w: UnsafePointer<Float>, rows: Int, cols: Int, scheme: QuantScheme,
                      columnScales: UnsafePointer<Float>? = nil, clip: UnsafePointer<Float>? = nil,
                      to out: UnsafeMutablePointer<Float>, name: String = "weight", threads: Int,
                      kernels: KernelPath = ComputeContext.current.kernels) throws {
        let (g, mode): (Int, Int32)
        switch scheme {
        case .int8: (g, mode) = (cols, Int32(VLM_FQ_INT8))
        case let .int4(size, symmetric): (g, mode) = (size, Int32(symmetric ? VLM_FQ_INT4_SYM : VLM_FQ_INT4_ASYM))
        }
        guard g > 0, cols % g == 0 else {
            throw QuantizationError.groupDoesNotDivide(tensor: name, columns: cols, groupSize: g)
        }
        let kernel = kernels == .portable ? vlm_fake_quant_portable : vlm_fake_quant
        // Each chunk marks its first bad row; rows are independent, so any split gives the same bytes.
        var kinds = [Int32](repeating: 0, count: rows)
        kinds.withUnsafeMutableBufferPointer { kp in
            let marks = kp.baseAddress!
            Parallel.withThreads(threads) {
                Parallel.forEachChunk(rows) { range in
                    var kind: Int32 = 0
                    let bad = kernel(w, columnScales, clip, cols, g, mode, out, range.lowerBound, range.upperBound, &kind)
                    if bad >= 0 { marks[Int(bad)] = kind }
                }
            }
        }
        if let row = kinds.firstIndex(where: { $0 != 0 }) {
            if kinds[row] == Int32(VLM_FQ_NONFINITE) { throw QuantizationError.nonFinite(tensor: name) }
            throw QuantizationError.scaleOverflow(tensor: name, row: row)
        }
    }

    /// `apply` on arrays, into a reused buffer (resized to rows × cols when needed).
    static func apply(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, columnScales: [Float]? = nil,
                      clip: [Float]? = nil, into out: inout [Float], name: String = "weight", threads: Int,
                      kernels: KernelPath = ComputeContext.current.kernels) throws {
        precondition(w.count == rows * cols)
        precondition(columnScales.map { $0.count == cols } ?? true)
        if out.count != rows * cols { out = [Float](repeating: 0, count: rows * cols) }
        try w.withUnsafeBufferPointer { wp in
            try out.withUnsafeMutableBufferPointer { op in
                try withOptionalPointer(columnScales) { sp in
                    try withOptionalPointer(clip) { cp in
                        try apply(from: wp.baseAddress!, rows: rows, cols: cols, scheme: scheme, columnScales: sp, clip: cp,
                                  to: op.baseAddress!, name: name, threads: threads, kernels: kernels)
                    }
                }
            }
        }
    }

    private static func withOptionalPointer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        guard let a else { return try body(nil) }
        return try a.withUnsafeBufferPointer { try body($0.baseAddress) }
    }
}
