/// How a binding fetches a family's modules: the graph answers with checkpoint tensors, the
/// runtime with operators and floats. A family's `bind` functions are written once against
/// this protocol, so the typed layers of every consumer come from the same description.
public protocol SlotLookup {
    /// What a Linear layer becomes (weight and optional bias).
    associatedtype LinearValue
    /// What a weight-and-optional-bias module becomes (LayerNorm, conv).
    associatedtype AffineValue
    /// What a single tensor becomes (RMSNorm scale, embedding table, position table).
    associatedtype TensorValue

    /// The Linear whose weight is `<prefix>.weight`.
    func linear(prefix: String) throws -> LinearValue
    /// The weight `<prefix>.weight` with `<prefix>.bias` when there is one.
    func affine(prefix: String) throws -> AffineValue
    /// The tensor in `slot`.
    func tensor(slot: String) throws -> TensorValue
}

/// The weight slots of a family's modules, bound like values: `LlamaDecoderFamily.layer(l, SlotNames())`
/// names every tensor of layer l in the same typed shape other bindings fill.
public struct SlotNames: SlotLookup {
    public init() {}
    public func linear(prefix: String) -> String { prefix + ".weight" }
    public func affine(prefix: String) -> String { prefix + ".weight" }
    public func tensor(slot: String) -> String { slot }
}

extension SlotLookup {
    public func linear(_ m: ModuleDecl, _ layer: Int?) throws -> LinearValue {
        precondition(m.kind == .linear, "\(m.slot) is a \(m.kind.rawValue), not a linear")
        return try linear(prefix: m.fill(m.slot, layer))
    }

    public func affine(_ m: ModuleDecl, _ layer: Int?) throws -> AffineValue {
        precondition(m.kind != .tensor, "\(m.slot) is a bare tensor")
        return try affine(prefix: m.fill(m.slot, layer))
    }

    /// The module's weight (or the bare tensor).
    public func values(_ m: ModuleDecl, _ layer: Int?) throws -> TensorValue {
        try tensor(slot: m.weightSlot(layer))
    }
}
