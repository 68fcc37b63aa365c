import CKernels

/// What a computation may use: how many threads and which C kernels. One value, built once by
/// the caller (the CLI from `--threads` and `--kernels`) and scoped around the work with `run`.
///
/// The value is task-local, not global: two computations in one process (tests run in
/// parallel, two models in one server) each see their own, and nothing can change it from
/// outside the scope. Results never depend on `threads` (work is cut by shape, see `Parallel`);
/// for a given `kernels` path they are bit-identical across thread counts.
public struct ComputeContext: Sendable, Equatable, CustomStringConvertible {
    /// Threads for our kernels, 1…`Parallel.hardLimit`.
    public var threads: Int
    /// The C kernels every Linear and matrix product calls unless it names its own.
    public var kernels: KernelPath
    /// What quantized Linears multiply their stored integers with: the float activations (the
    /// exact path, the oracle) or activations rounded to 8 bits per block of 32 (integer dots).
    public var activations: ActivationPrecision

    public init(threads: Int = 1, kernels: KernelPath = .native, activations: ActivationPrecision = .float) {
        self.threads = max(1, min(Parallel.hardLimit, threads))
        self.kernels = kernels
        self.activations = activations
    }

    /// The context of the computation in progress: one thread, the CPU's kernels, unless a
    /// caller scoped another with `run`.
    @TaskLocal public static var current = ComputeContext()

    /// Runs body inside this context.
    public func run<R>(_ body: () throws -> R) rethrows -> R {
        Parallel.blasSingleThreaded.touch()
        return try ComputeContext.$current.withValue(self, operation: body)
    }

    /// This context with another thread count.
    public func with(threads n: Int) -> ComputeContext { ComputeContext(threads: n, kernels: kernels, activations: activations) }

    /// This context with another kernel path.
    public func with(kernels k: KernelPath) -> ComputeContext { ComputeContext(threads: threads, kernels: k, activations: activations) }

    /// This context with another activation precision.
    public func with(activations a: ActivationPrecision) -> ComputeContext { ComputeContext(threads: threads, kernels: kernels, activations: a) }

    /// The kernels these layers run: "portable", or what `.native` is on this CPU ("avx2").
    public var kernelName: String { kernels == .portable ? "portable" : KernelPath.inUse }

    /// The integer-dot kernels' name here ("avx2", "neon-dotprod", "neon", "portable").
    public var integerKernelName: String { kernels == .portable ? "portable" : String(cString: vlm_q8_kernel_name()) }

    /// "2 thread(s), avx2 kernels, int8 activations" — what a report states.
    public var description: String {
        "\(threads) thread(s), \(kernelName) kernels, \(activations.rawValue) activations" + (activations == .float ? "" : " (\(integerKernelName) integer dots)")
    }
}

/// How quantized weights meet activations (formats/quantization.md, "Execution").
public enum ActivationPrecision: String, Sendable, Equatable, CaseIterable {
    /// Float activations times each dequantized weight: the exact path and the oracle (`--exact`).
    case float
    /// Activations rounded to int8 per block of 32 columns (one f32 scale each) and integer dot
    /// products per block (AVX2 maddubs, NEON sdot) for every quantized layer that has the
    /// kernels: llama.cpp's Q8_0 activations.
    case int8
    /// int8 activations for int4 layers, float for int8 layers (the scheme is W8A16): where the
    /// rounding's error is small beside the weights' own (the measured budget).
    case auto

    /// Whether a layer stored with `bits`-bit integers rounds its activations.
    public func roundsActivations(weightBits bits: Int) -> Bool {
        switch self {
        case .float: return false
        case .int8: return true
        case .auto: return bits == 4
        }
    }
}
