import ModelGraph
import TensorIO
import TensorCore

/// Where the runtime gets its weights, by slot name (formats/checkpoint-layouts.md). The only
/// thing the runtime asks of a Linear layer's weights is a `LinearOperator`, so float
/// checkpoints and quantized models plug in alike.
public protocol WeightSource: Sendable {
    var config: VLMConfig { get }
    /// The families the weights are laid out by (those the config names, unless loaded otherwise).
    var model: ModelDescription { get }
    /// The values of one tensor slot converted to f32, or nil when the model has no such slot.
    func floats(_ slot: String) throws -> [Float]?
    /// The Linear layer whose weight is `<prefix>.weight` (and bias `<prefix>.bias`, if any).
    func linear(_ prefix: String) throws -> any LinearOperator
}

public struct MissingWeight: Error, CustomStringConvertible {
    public let slot: String
    public init(slot: String) { self.slot = slot }
    public var description: String { "the model has no tensor for slot \(slot)" }
}

extension WeightSource {
    public var model: ModelDescription { ModelDescription(config) }

    /// A slot that must exist.
    public func required(_ slot: String) throws -> [Float] {
        guard let v = try floats(slot) else { throw MissingWeight(slot: slot) }
        return v
    }
}

/// A weight source seen through the families' bindings: Linear layers as operators, norms
/// and convs as f32 weight and bias, other tensors as f32 values.
struct RuntimeSlots: SlotLookup {
    let source: any WeightSource

    init(_ source: any WeightSource) { self.source = source }

    func linear(prefix: String) throws -> any LinearOperator { try source.linear(prefix) }
    func affine(prefix: String) throws -> AffineParams {
        AffineParams(weight: try source.required(prefix + ".weight"), bias: try source.floats(prefix + ".bias"))
    }
    func tensor(slot: String) throws -> [Float] { try source.required(slot) }
}

/// A weight source's tensors as plain f32 values (weights only: Linear layers as their weight
/// matrix, norms as their scale), for code that rewrites weights (AWQ).
public struct WeightValues: SlotLookup {
    public let source: any WeightSource

    public init(_ source: any WeightSource) { self.source = source }

    public func linear(prefix: String) throws -> [Float] { try source.required(prefix + ".weight") }
    public func affine(prefix: String) throws -> [Float] { try source.required(prefix + ".weight") }
    public func tensor(slot: String) throws -> [Float] { try source.required(slot) }
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
    public var model: ModelDescription { graph.description }

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
