/// What `vlmkit quantize` did, tensor by tensor.
public struct QuantizeReport: Sendable, Encodable {
    public struct Tensor: Sendable, Encodable {
        public let slot: String
        public let shape: [Int]
        /// A scheme (`int4-g128`) or the float dtype the tensor was kept in (`f16`).
        public let storage: String
        public let stats: QuantStats?
        public let sourceBytes: Int
        public let storedBytes: Int
    }

    public let source: String
    public let output: String
    public let method: String
    public let recipe: String
    public var tensors: [Tensor] = []
    public var awq: AWQSummary? = nil
    /// Set by `vlmkit import`: the source format and how each packed Linear was converted.
    public var imported: ImportSummary? = nil

    public var sourceBytes: Int { tensors.reduce(0) { $0 + $1.sourceBytes } }
    public var storedBytes: Int { tensors.reduce(0) { $0 + $1.storedBytes } }
    public var quantizedCount: Int { tensors.filter { $0.stats != nil }.count }

    enum CodingKeys: String, CodingKey { case source, output, method, recipe, tensors, awq, imported, sourceBytes, storedBytes }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(output, forKey: .output)
        try c.encode(method, forKey: .method)
        try c.encode(recipe, forKey: .recipe)
        try c.encode(tensors, forKey: .tensors)
        try c.encodeIfPresent(awq, forKey: .awq)
        try c.encodeIfPresent(imported, forKey: .imported)
        try c.encode(sourceBytes, forKey: .sourceBytes)
        try c.encode(storedBytes, forKey: .storedBytes)
    }
}

/// What the AWQ search chose, per layer group.
public struct AWQSummary: Sendable, Encodable {
    public struct Choice: Sendable, Encodable {
        public let layer: Int
        public let group: String
        public let alpha: Double
        public let rtnLoss: Double
        public let bestLoss: Double
    }

    public var calibrationTokens = 0
    public var choices: [Choice] = []
    public var clippedTensors = 0
    public var seconds = 0.0
}
