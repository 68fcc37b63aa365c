import CKernels

/// An MLP activation by its Hugging Face name, applied to whole buffers. SiLU, quick_gelu and
/// tanh-GELU run the vectorized C kernels (activations.c); the exact (erf) GELU runs the Swift
/// scalar form. `Kernels.activation(named:)` (Double arithmetic) is the oracle of all of them.
public enum Activation: Sendable, Equatable {
    case silu, quickGelu, geluTanh, geluErf

    public init?(named name: String) {
        switch name {
        case "gelu": self = .geluErf
        case "gelu_pytorch_tanh", "gelu_new": self = .geluTanh
        case "quick_gelu": self = .quickGelu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    var kernelKind: Int32? {
        switch self {
        case .silu: return Int32(VLM_ACT_SILU)
        case .quickGelu: return Int32(VLM_ACT_QUICK_GELU)
        case .geluTanh: return Int32(VLM_ACT_GELU_TANH)
        case .geluErf: return nil
        }
    }

    /// x ← f(x), split over threads (element-wise: the same bits for any thread count).
    public func apply(_ x: inout [Float], kernels: KernelPath = ComputeContext.current.kernels) {
        guard let kind = kernelKind else {
            Kernels.map(&x, Kernels.geluErf)
            return
        }
        let f = kernels == .portable ? vlm_activation_portable : vlm_activation
        x.withUnsafeMutableBufferPointer { p in
            guard let b = p.baseAddress else { return }
            Parallel.forEachChunk(p.count, minimumPerChunk: 4096) { r in f(b + r.lowerBound, r.count, kind) }
        }
    }
}

extension Kernels {
    /// `softmax` in float with the vectorized exp (the Double `softmax` is its oracle).
    public static func fastSoftmax(_ p: UnsafeMutablePointer<Float>, count: Int, kernels: KernelPath) {
        (kernels == .portable ? vlm_softmax_portable : vlm_softmax)(p, count)
    }

    /// `multiplyBySiLU` with the vectorized exp (that one, in Double, is its oracle).
    public static func fastMultiplyBySiLU(_ u: inout [Float], gate g: [Float], kernels: KernelPath = ComputeContext.current.kernels) {
        precondition(u.count == g.count)
        let f = kernels == .portable ? vlm_mul_silu_portable : vlm_mul_silu
        u.withUnsafeMutableBufferPointer { up in
            g.withUnsafeBufferPointer { gp in
                guard let ub = up.baseAddress, let gb = gp.baseAddress else { return }
                Parallel.forEachChunk(up.count, minimumPerChunk: 4096) { r in f(ub + r.lowerBound, gb + r.lowerBound, r.count) }
            }
        }
    }
}
