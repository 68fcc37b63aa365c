import ModelGraph
import TensorCore

/// Where the runtime gets its weights, by slot name (formats/checkpoint-layouts.md). The only
/// thing the runtime asks of a Linear layer's weights is a `LinearOperator`, so float
/// checkpoints and quantized models plug in alike.
public protocol WeightSource: Sendable {
    var config: VLMConfig { get }
    /// The values of one tensor slot converted to f32, or nil when the model has no such slot.
    func floats(_ slot: String) throws -> [Float]?
    /// The Linear layer whose weight is `<prefix>.weight` (and bias `<prefix>.bias`, if any).
    func linear(_ prefix: String) throws -> any LinearOperator
}

public struct MissingWeight: Error, CustomStringConvertible {
    public let slot: String
    public var description: String { "the model has no tensor for slot \(slot)" }
}

extension WeightSource {
    /// A slot that must exist.
    public func required(_ slot: String) throws -> [Float] {
        guard let v = try floats(slot) else { throw MissingWeight(slot: slot) }
        return v
    }

    /// A LayerNorm's scale and shift.
    func layerNorm(_ prefix: String) throws -> NormParams {
        let w = try required(prefix + ".weight")
        return NormParams(weight: w, bias: try floats(prefix + ".bias") ?? [Float](repeating: 0, count: w.count))
    }
}

/// The weights of a float checkpoint's graph, converted to f32 as they are asked for.
public struct GraphWeights: WeightSource {
    public let graph: VLMGraph
    private let bySlot: [String: TensorRef]

    public init(_ graph: VLMGraph) {
        self.graph = graph
        bySlot = Dictionary(uniqueKeysWithValues: graph.tensors.map { ($0.slot, $0) })
    }

    public var config: VLMConfig { graph.config }

    public func floats(_ slot: String) throws -> [Float]? {
        try bySlot[slot]?.float32().data
    }

    public func linear(_ prefix: String) throws -> any LinearOperator {
        guard let w = bySlot[prefix + ".weight"] else { throw MissingWeight(slot: prefix + ".weight") }
        return try FloatLinear(Affine(weight: w, bias: bySlot[prefix + ".bias"]))
    }
}
