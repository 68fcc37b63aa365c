import ModelGraph
import TensorIO
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
    /// Whether NaN or infinite weights are accepted (`--allow-nonfinite`); by default they are errors.
    public let allowNonFinite: Bool

    public init(_ graph: VLMGraph, allowNonFinite: Bool = false) {
        self.graph = graph
        self.allowNonFinite = allowNonFinite
        bySlot = Dictionary(uniqueKeysWithValues: graph.tensors.map { ($0.slot, $0) })
    }

    public var config: VLMConfig { graph.config }

    func load(_ ref: TensorRef) throws -> [Float] {
        let values = try ref.float32().data
        try NonFinite.check(values, tensor: ref.source, file: ref.info.file, allow: allowNonFinite)
        return values
    }

    public func floats(_ slot: String) throws -> [Float]? {
        try bySlot[slot].map(load)
    }

    public func linear(_ prefix: String) throws -> any LinearOperator {
        guard let w = bySlot[prefix + ".weight"] else { throw MissingWeight(slot: prefix + ".weight") }
        let bias = try bySlot[prefix + ".bias"].map(load)
        // f16/bf16 weights stay half precision (exact widening happens in the kernels).
        if let half = try HalfLinear.load(w.store, name: w.source, bias: bias, allowNonFinite: allowNonFinite) { return half }
        return FloatLinear(weight: try load(w), bias: bias, outFeatures: w.shape[0], inFeatures: w.shape[1])
    }
}
