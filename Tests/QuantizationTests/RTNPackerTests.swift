import ReferenceRuntime
import TensorCore
import TestSupport
import Testing
@testable import Quantization

/// The one-pass packing quantizer (C, AVX2 and portable) writes the bytes of its Swift oracle
/// (`RTNQuantizer.naiveQuantize`) from f32, f16 and bf16 storage, for every scheme, on rows that
/// reach the rounding corners (FakeQuantizerTests.matrix: ties, zeros, subnormal scales, outliers)
/// and widths that do not fill a SIMD register; its statistics equal QuantStats.measure up to
/// summation order; failures name the first bad row.
@Suite struct RTNPackerTests {
    static let schemes: [QuantScheme] = [.int8, .int4(groupSize: 32, symmetric: false), .int4(groupSize: 32, symmetric: true),
                                         .int4(groupSize: 12, symmetric: false), .int4(groupSize: 128, symmetric: true)]
    static let dtypes: [DType] = [.f32, .f16, .bf16]

    /// w stored as dtype (raw bytes) and the floats that storage holds.
    static func stored(_ w: [Float], as dtype: DType) -> (raw: [UInt8], values: [Float]) {
        switch dtype {
        case .f16:
            let h = w.map { FloatConversion.f32ToF16($0) }
            return (h.withUnsafeBytes { Array($0) }, h.map { FloatConversion.f16ToF32($0) })
        case .bf16:
            let b = w.map { UInt16($0.bitPattern >> 16) }
            return (b.withUnsafeBytes { Array($0) }, b.map { FloatConversion.bf16ToF32($0) })
        default:
            return (w.withUnsafeBytes { Array($0) }, w)
        }
    }

    static func pack(_ raw: [UInt8], _ dtype: DType, rows: Int, cols: Int, _ scheme: QuantScheme, _ kernels: KernelPath,
                     threads: Int, offset: Int = 0) -> Result<RTNPacker.Packed, RTNPacker.Failure> {
        // offset: the stored tensor starts at an odd address, as it may inside a safetensors file.
        let shifted = [UInt8](repeating: 0, count: offset) + raw
        return shifted.withUnsafeBytes { RTNPacker.pack(UnsafeRawBufferPointer(rebasing: $0[offset...]), dtype: dtype, rows: rows, cols: cols, scheme: scheme,
                                                        kernels: kernels, threads: threads) }
    }

    @Test(arguments: schemes)
    func writesTheOraclesBytes(_ scheme: QuantScheme) throws {
        let g = scheme.groupSize ?? 8
        for (rows, cols) in [(1, g), (6, 2 * g), (11, 4 * g), (5, 3 * g + (scheme == .int8 ? 5 : 0))] {
            let w = FakeQuantizerTests.matrix(rows: rows, cols: cols, seed: UInt64(rows * 977 + cols))
            for dtype in Self.dtypes {
                let (raw, values) = Self.stored(w, as: dtype)
                let want = try RTNQuantizer.naiveQuantize(values, rows: rows, cols: cols, scheme: scheme)
                let stats = QuantStats.measure(original: values, dequantized: want.dequantized())
                for kernels in KernelPath.allCases {
                    for threads in [1, 2] {
                        let p = try Self.pack(raw, dtype, rows: rows, cols: cols, scheme, kernels, threads: threads, offset: 1).get()
                        let what = "\(scheme) \(dtype) \(rows)×\(cols) \(kernels) \(threads) threads"
                        #expect(p.values == want.valueBytes.withBytes { Array($0) }, "values: \(what)")
                        #expect(p.scales == Array(want.scaleBytes.elements(UInt16.self)), "scales: \(what)")
                        #expect(p.zeros == want.zeroBytes.map { Array($0.elements(UInt8.self)) }, "zeros: \(what)")
                        #expect(abs(p.stats.nmse - stats.nmse) <= 1e-9 * max(stats.nmse, 1e-30), "nmse: \(what)")
                        #expect(p.stats.maxAbsError == stats.maxAbsError, "max error: \(what)")
                        #expect(p.stats.elements == rows * cols)
                    }
                }
            }
        }
    }

    @Test func emptyMatricesPack() throws {
        for scheme in Self.schemes {
            let p = try RTNPacker.pack([Float](), rows: 0, cols: scheme.groupSize ?? 8, scheme: scheme, name: "e", threads: 2)
            #expect(p.values.isEmpty && p.scales.isEmpty && p.stats.elements == 0 && p.stats.nmse == 0)
        }
    }

    @Test func failuresNameTheRow() throws {
        let cols = 64
        var w = FakeQuantizerTests.matrix(rows: 4, cols: cols, seed: 3)
        w[2 * cols + 5] = 1e9    // row 2: a scale beyond f16 (1e9 / 7)
        for kernels in KernelPath.allCases {
            let raw = w.withUnsafeBytes { Array($0) }
            if case .failure(let f) = Self.pack(raw, .f32, rows: 4, cols: cols, .int4(groupSize: 32, symmetric: true), kernels, threads: 2) {
                #expect(f == .scaleOverflow(row: 2))
            } else {
                Issue.record("an overflowing scale was packed (\(kernels))")
            }
            var bad = w
            bad[3 * cols + 63] = .nan    // a NaN wins over the overflow, as in RTNQuantizer
            let r = Self.pack(bad.withUnsafeBytes { Array($0) }, .f32, rows: 4, cols: cols, .int8, kernels, threads: 1)
            if case .failure(let f) = r { #expect(f == .nonFinite) } else { Issue.record("a NaN was packed (\(kernels))") }
        }
        #expect(throws: QuantizationError.scaleOverflow(tensor: "t", row: 2)) {
            try RTNQuantizer.quantize(w, rows: 4, cols: cols, scheme: .int4(groupSize: 32, symmetric: true), name: "t")
        }
    }
}
