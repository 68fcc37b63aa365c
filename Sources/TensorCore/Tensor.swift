/// An owned, contiguous Float32 tensor: what the reference runtime computes with.
public struct Tensor: Sendable, Equatable {
    public var shape: Shape
    public var data: [Float]

    public init(shape: Shape, data: [Float]) {
        precondition(shape.elementCount == data.count, "shape \(shape) does not hold \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: Shape) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.elementCount)
    }

    /// Same data seen with another shape of equal element count.
    public func reshaped(_ newShape: Shape) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// A strided view with this tensor's contiguous layout.
    public var view: StridedView { StridedView(shape: shape, strides: shape.contiguousStrides, offset: 0) }

    /// Materialises a strided view of this tensor's data into a new contiguous tensor.
    public func gather(_ v: StridedView) -> Tensor {
        var out = [Float]()
        out.reserveCapacity(v.shape.elementCount)
        v.forEachOffset { out.append(data[$0]) }
        return Tensor(shape: v.shape, data: out)
    }
}

/// Shape, strides and offset (all in elements) over some flat storage: permutations and
/// slices without copying.
public struct StridedView: Sendable, Equatable {
    public var shape: Shape
    public var strides: [Int]
    public var offset: Int

    public init(shape: Shape, strides: [Int], offset: Int) {
        precondition(shape.rank == strides.count)
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// Reorders axes: `permuted([1, 0])` transposes a matrix.
    public func permuted(_ axes: [Int]) -> StridedView {
        precondition(axes.sorted() == Array(0..<shape.rank), "not a permutation: \(axes)")
        return StridedView(shape: Shape(axes.map { shape.dims[$0] }), strides: axes.map { strides[$0] }, offset: offset)
    }

    /// Keeps `range` along `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) -> StridedView {
        precondition(range.lowerBound >= 0 && range.upperBound <= shape.dims[axis])
        var dims = shape.dims
        dims[axis] = range.count
        return StridedView(shape: Shape(dims), strides: strides, offset: offset + range.lowerBound * strides[axis])
    }

    /// Calls `body` with the storage offset of every element, in row-major order of the view.
    public func forEachOffset(_ body: (Int) -> Void) {
        let rank = shape.rank
        if shape.elementCount == 0 { return }
        if rank == 0 { body(offset); return }
        var index = [Int](repeating: 0, count: rank)
        var pos = offset
        while true {
            body(pos)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                pos += strides[axis]
                if index[axis] < shape.dims[axis] { break }
                pos -= strides[axis] * shape.dims[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}
