import CKernels

/// Which C kernels a layer calls: the ones chosen for this CPU at run time (AVX2+FMA+F16C on x86
/// when present, else portable C), or the portable C ones whatever the CPU — what an ARM device
/// runs, so tests exercise it on x86 too. `VLMKIT_KERNELS=portable` in the environment makes
/// `.native` choose the portable kernels for a whole process.
public enum KernelPath: String, Sendable, Equatable, CaseIterable {
    case native
    case portable
}

extension KernelPath {
    /// What `.native` resolves to in this process: "avx2" or "portable".
    public static var inUse: String { vlm_kernels_use_avx2() != 0 ? "avx2" : "portable" }
}
