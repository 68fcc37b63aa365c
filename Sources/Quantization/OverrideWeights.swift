import ModelGraph
import ReferenceRuntime

/// A float model with some slots replaced (AWQ's scaled weights), for checking that folding
/// scales leaves the float function unchanged.
public struct OverrideWeights: WeightSource {
    public let base: GraphWeights
    public let overrides: [String: [Float]]

    public init(base: GraphWeights, overrides: [String: [Float]]) {
        self.base = base
        self.overrides = overrides
    }

    public var config: VLMConfig { base.config }

    public func floats(_ slot: String) throws -> [Float]? {
        if let o = overrides[slot] { return o }
        return try base.floats(slot)
    }

    public func linear(_ prefix: String) throws -> any LinearOperator {
        guard let w = overrides[prefix + ".weight"] else { return try base.linear(prefix) }
        let bias = try base.floats(prefix + ".bias")
        let rows = bias?.count ?? (base.graph.tensors.first { $0.slot == prefix + ".weight" }?.shape[0] ?? 0)
        return FloatLinear(weight: w, bias: bias, outFeatures: rows, inFeatures: w.count / max(rows, 1))
    }
}
