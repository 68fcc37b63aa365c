import CKernels
import ModelGraph
import TensorCore

/// What the runtime needs from a Linear layer's weights: y = x·Wᵀ + b for a batch of rows.
/// Float weights, and later quantized ones, plug in here; nothing else in the runtime sees them.
public protocol LinearOperator: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// `x` holds `rows` rows of `inFeatures`; returns `rows` rows of `outFeatures`.
    func forward(_ x: [Float], rows: Int) -> [Float]
    /// The same product as work over ranges of output features, for `FusedLinear` (x stays
    /// valid while the work runs).
    func rowWork(_ x: UnsafePointer<Float>, rows: Int) -> RowWork
    /// Writes row r of the weight in f32 (inFeatures values): an embedding lookup when the
    /// weight is an embedding table.
    func weightRow(_ r: Int, into out: UnsafeMutablePointer<Float>)
}

extension LinearOperator {
    /// The product run alone: its work in one parallel pass.
    public func forward(_ x: [Float], rows: Int) -> [Float] {
        FusedLinear.forward([self], x, rows: rows)[0]
    }

    /// The rows [ids.count, inFeatures] of this weight used as an embedding table
    /// [vocab = outFeatures, hidden]. This is where token ids enter the runtime, so it is where
    /// they are checked: an id outside 0..<vocab is an error naming its position.
    public func embeddingRows<S: Sequence>(_ ids: S) throws -> [Float] where S.Element: BinaryInteger {
        let h = inFeatures, v = outFeatures
        let rows = Array(ids)
        for (i, t) in rows.enumerated() where !(t >= 0 && t < v) {
            throw RunError.tokenOutOfRange(position: i, id: Int64(t), vocab: v)
        }
        var out = [Float](repeating: 0, count: rows.count * h)
        out.withUnsafeMutableBufferPointer { o in
            for (i, t) in rows.enumerated() { weightRow(Int(t), into: o.baseAddress! + i * h) }
        }
        return out
    }
}

/// A Linear layer with Float32 weights, computed with OpenBLAS sgemm.
public struct FloatLinear: LinearOperator {
    public let weight: [Float]
    public let bias: [Float]?
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures && (bias == nil || bias!.count == outFeatures))
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// Loads a graph Linear (weight [out, in], optional bias [out]) converted exactly to f32.
    public init(_ a: Affine) throws {
        let w = try a.weight.float32()
        precondition(w.shape.rank == 2)
        self.init(weight: w.data, bias: try a.bias?.float32().data, outFeatures: w.shape[0], inFeatures: w.shape[1])
    }

    public func forward(_ x: [Float], rows: Int) -> [Float] {
        Matmul.blas(x: x, m: rows, k: inFeatures, weight: weight, n: outFeatures, bias: bias)
    }

    /// For fusion with others: one thread per piece of `BlockedLinear.pieceRows(rows:)` output features
    /// (sgemm straight on the weight rows), or the matrix-vector kernel for one row.
    public func rowWork(_ x: UnsafePointer<Float>, rows m: Int) -> RowWork {
        let k = inFeatures, n = outFeatures, weight = weight
        let path = ComputeContext.current.kernels
        if m == 1 {
            return RowWork(outFeatures: n, bias: bias) { features, y, _ in
                let gemv = path == .portable ? vlm_gemv_f32_portable : vlm_gemv_f32
                weight.withUnsafeBufferPointer { gemv($0.baseAddress!, k, x, y, features.lowerBound, features.upperBound) }
            }
        }
        return RowWork(outFeatures: n, bias: bias, pieceRows: BlockedLinear.pieceRows(rows: m)) { [bias] features, y, _ in
            weight.withUnsafeBufferPointer { w in
                Gemm.onThisThread(m: m, n: features.count, k: k, a: x, lda: k, b: w.baseAddress! + features.lowerBound * k, ldb: k,
                                  transposedB: true, beta: bias == nil ? 0 : 1, c: y + features.lowerBound, ldc: n)
            }
        }
    }

    public func weightRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + r * inFeatures, count: inFeatures) }
    }
}

/// A weight with an optional bias loaded as f32 (a LayerNorm's scale and shift, a conv).
public struct AffineParams: Sendable {
    public let weight: [Float]
    public let bias: [Float]?

    public init(weight: [Float], bias: [Float]?) {
        self.weight = weight
        self.bias = bias
    }
}
