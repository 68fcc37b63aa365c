/// A tensor shape: a list of non-negative dimensions, outermost first.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    public var rank: Int { dims.count }

    /// Number of elements, or nil when a dimension is negative or the product overflows `Int`.
    public var checkedElementCount: Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Number of elements. Only call on shapes already validated (see `checkedElementCount`).
    public var elementCount: Int { dims.reduce(1, *) }

    /// Byte size for `dtype`, or nil on overflow.
    public func checkedByteCount(_ dtype: DType) -> Int? {
        guard let n = checkedElementCount else { return nil }
        let (b, overflow) = n.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : b
    }

    /// Row-major (C-contiguous) strides in elements.
    public var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        var acc = 1
        for i in stride(from: dims.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= dims[i]
        }
        return strides
    }

    public subscript(i: Int) -> Int { dims[i] }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
