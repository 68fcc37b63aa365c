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

    public init(threads: Int = 1, kernels: KernelPath = .native) {
        self.threads = max(1, min(Parallel.hardLimit, threads))
        self.kernels = kernels
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
    public func with(threads n: Int) -> ComputeContext { ComputeContext(threads: n, kernels: kernels) }

    /// This context with another kernel path.
    public func with(kernels k: KernelPath) -> ComputeContext { ComputeContext(threads: threads, kernels: k) }

    /// The kernels these layers run: "portable", or what `.native` is on this CPU ("avx2").
    public var kernelName: String { kernels == .portable ? "portable" : KernelPath.inUse }

    /// "2 thread(s), avx2 kernels" — what a report states.
    public var description: String { "\(threads) thread(s), \(kernelName) kernels" }
}
