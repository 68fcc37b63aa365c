import CKernels
import TensorCore
import TensorIO

/// A Linear layer kept in its stored half precision (f16 or bf16): half the memory of f32 and
/// half the bytes read per decoded token. A few rows (decoding) go through a C matrix-vector
/// kernel that widens each weight exactly as it reads it; more rows (prefill, vision) widen
/// blocks of rows and use sgemm (BlockedLinear). Widening is exact, so the result is the
/// f32 `FloatLinear`'s up to summation order; `naiveForward` (Double accumulation) is the oracle.
///
/// Loaded from a checkpoint, the weight is used in place: the kernels read the store's mapped
/// bytes (file-backed pages, shared through the page cache), not a copy on the heap.
public struct HalfLinear: LinearOperator {
    /// The [outFeatures, inFeatures] halves, row-major (in place, or owned when built from values).
    public let weight: StoredBytes
    public let isBF16: Bool
    public let bias: [Float]?
    public let inFeatures: Int
    public let outFeatures: Int
    /// The kernels this layer calls; nil = those of the compute context in progress.
    public var kernels: KernelPath?

    public init(weight: [UInt16], isBF16: Bool, bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        self.init(storage: StoredBytes(copying: weight), isBF16: isBF16, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures)
    }

    public init(storage: StoredBytes, isBF16: Bool, bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(storage.count == 2 * outFeatures * inFeatures && (bias == nil || bias!.count == outFeatures))
        self.weight = storage
        self.isBF16 = isBF16
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// A stored 2-D f16/bf16 tensor as a HalfLinear (nil for other dtypes); NaN/Inf are errors
    /// unless allowed, as for float weights.
    public static func load(_ store: any TensorStore, name: String, bias: [Float]?, allowNonFinite: Bool) throws -> HalfLinear? {
        guard let info = store.info(name), info.dtype == .f16 || info.dtype == .bf16, info.shape.rank == 2 else { return nil }
        try store.withBytes(name) { raw in
            try NonFinite.check(raw, dtype: info.dtype, tensor: name, file: info.file, allow: allowNonFinite)
        }
        return HalfLinear(storage: try StoredBytes.inPlace(store, name, alignment: 2), isBF16: info.dtype == .bf16, bias: bias,
                          outFeatures: info.shape[0], inFeatures: info.shape[1])
    }

    public func widened(_ i: Int) -> Float {
        let h = weight.withElements(UInt16.self) { $0[i] }
        return isBF16 ? FloatConversion.bf16ToF32(h) : FloatConversion.f16ToF32(h)
    }

    public func rowWork(_ x: UnsafePointer<Float>, rows m: Int) -> RowWork {
        let k = inFeatures, n = outFeatures, bf = Int32(isBF16 ? 1 : 0), weight = weight
        let path = kernels ?? ComputeContext.current.kernels
        let gemv = path == .portable ? vlm_gemv_half_portable : vlm_gemv_half
        let widen = path == .portable ? vlm_widen_half_portable : vlm_widen_half
        return BlockedLinear.work(x, rows: m, k: k, n: n, bias: bias, gemv: { features, y in
            weight.withElements(UInt16.self) { wp in
                for i in 0..<m { gemv(wp.baseAddress!, bf, k, x + i * k, y + i * n, features.lowerBound, features.upperBound) }
            }
        }, widenRow: { r, out in weight.withElements(UInt16.self) { widen($0.baseAddress! + r * k, bf, k, out, 0, 1) } })
    }

    public func weightRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        let k = inFeatures, bf = Int32(isBF16 ? 1 : 0)
        weight.withElements(UInt16.self) { vlm_widen_half($0.baseAddress! + r * k, bf, k, out, 0, 1) }
    }

    /// The oracle: Double accumulation of exactly widened weights.
    public func naiveForward(_ x: [Float], rows m: Int) -> [Float] {
        let k = inFeatures, n = outFeatures
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = Double(bias?[j] ?? 0)
                for c in 0..<k { acc += Double(x[i * k + c]) * Double(widened(j * k + c)) }
                y[i * n + j] = Float(acc)
            }
        }
        return y
    }
}
