/// What a module's tensors are. The kind decides how the module is bound (weight and bias
/// suffixes), whether it can be quantized, and how synthetic checkpoints initialise it.
public enum ModuleKind: String, Sendable {
    /// `y = x·Wᵀ + b`: weight [out, in], optional bias [out]. The only quantizable kind.
    case linear
    /// A lookup table [rows, width] (token embeddings). Kept in float.
    case embedding
    /// A convolution weight [out, C, kh, kw] with optional bias [out] (patch embeddings).
    case conv
    /// LayerNorm: weight [n] and bias [n].
    case layerNorm
    /// RMSNorm: weight [n].
    case rmsNorm
    /// A bare parameter (position table, class token): the slot names the tensor itself.
    case tensor
}

/// A module's checkpoint name (relative to the prefix its layout gives the family part), per
/// layout. A string literal applies to every layout; a dictionary lists the layouts that name
/// the module differently (a layout missing from it cannot hold this module).
public struct LayoutNames: Sendable, ExpressibleByStringLiteral, ExpressibleByDictionaryLiteral {
    let common: String?
    let byLayout: [LayoutKind: String]

    public init(stringLiteral value: String) {
        common = value
        byLayout = [:]
    }

    public init(dictionaryLiteral elements: (LayoutKind, String)...) {
        common = nil
        byLayout = Dictionary(uniqueKeysWithValues: elements)
    }

    public func name(in layout: LayoutKind) -> String? { byLayout[layout] ?? common }
}

/// One module of a model family, declared once: its slot (VLMKit's own name, the same for
/// every layout), its checkpoint name per layout, its shape as a function of the config, its
/// GGUF name, and when it is present. `{L}` in the slot, names and GGUF name stands for a
/// layer number; a module with `{L}` is repeated for every layer of its family.
public struct ModuleDecl: Sendable {
    public let kind: ModuleKind
    /// Slot prefix (`llm.layers.{L}.attn.q`); for `.tensor` modules the whole slot.
    public let slot: String
    public let names: LayoutNames
    /// llama.cpp's name without `.weight`/`.bias` (`blk.{L}.attn_q`; for `.tensor` modules the
    /// whole name), when llama.cpp has the module.
    public let gguf: String?
    /// The weight's shape under a config.
    public let shape: @Sendable (VLMConfig) -> [Int]
    /// Whether a Linear or conv carries a bias under a config (norms: LayerNorm always, RMSNorm never).
    public let bias: @Sendable (VLMConfig) -> Bool
    /// Whether the config has this module at all.
    public let present: @Sendable (VLMConfig) -> Bool
    /// Why a checkpoint may hold this module although the config does not use it (the tensor is
    /// then listed as ignored, not refused). Nil: a stored copy of an absent module is an error.
    public let absentReason: String?

    public init(_ kind: ModuleKind, slot: String, names: LayoutNames, gguf: String? = nil,
                bias: @escaping @Sendable (VLMConfig) -> Bool = { _ in false },
                present: @escaping @Sendable (VLMConfig) -> Bool = { _ in true }, absentReason: String? = nil,
                shape: @escaping @Sendable (VLMConfig) -> [Int]) {
        self.kind = kind
        self.slot = slot
        self.names = names
        self.gguf = gguf
        self.shape = shape
        switch kind {
        case .layerNorm: self.bias = { _ in true }
        case .rmsNorm, .tensor, .embedding: self.bias = { _ in false }
        case .linear, .conv: self.bias = bias
        }
        self.present = present
        self.absentReason = absentReason
    }

    public var isPerLayer: Bool { slot.contains("{L}") }
    public var isQuantizable: Bool { kind == .linear }
    public var isNorm: Bool { kind == .layerNorm || kind == .rmsNorm }

    /// The slot prefix for one layer (`llm.layers.3.attn.q`): the name recipes match against.
    public func slotPrefix(_ layer: Int? = nil) -> String { fill(slot, layer) }

    /// The slot of the weight (or of the bare tensor) for one layer.
    public func weightSlot(_ layer: Int? = nil) -> String {
        fill(kind == .tensor ? slot : slot + ".weight", layer)
    }

    /// The slot of the bias for one layer (whether or not the config has one).
    public func biasSlot(_ layer: Int? = nil) -> String { fill(slot + ".bias", layer) }

    /// The GGUF tensor name of the weight or bias for one layer.
    public func ggufName(_ layer: Int? = nil, bias: Bool = false) -> String? {
        gguf.map { fill(kind == .tensor ? $0 : $0 + (bias ? ".bias" : ".weight"), layer) }
    }

    /// (slot template, checkpoint-name template) of each tensor the module can hold; the bias
    /// entry is included whether or not a config enables it.
    func templates(_ layout: LayoutKind) -> [(slot: String, name: String?, isBias: Bool)] {
        let name = names.name(in: layout)
        if kind == .tensor { return [(slot, name, false)] }
        var out = [(slot + ".weight", name.map { $0 + ".weight" }, false)]
        if kind != .rmsNorm && kind != .embedding { out.append((slot + ".bias", name.map { $0 + ".bias" }, true)) }
        return out
    }

    func fill(_ template: String, _ layer: Int?) -> String {
        guard let layer else { return template }
        return NamePattern(template).fill(layer)
    }
}

extension ModuleDecl {
    public static func linear(_ slot: String, _ names: LayoutNames, gguf: String? = nil,
                              bias: @escaping @Sendable (VLMConfig) -> Bool,
                              present: @escaping @Sendable (VLMConfig) -> Bool = { _ in true }, absentReason: String? = nil,
                              shape: @escaping @Sendable (VLMConfig) -> [Int]) -> ModuleDecl {
        ModuleDecl(.linear, slot: slot, names: names, gguf: gguf, bias: bias, present: present, absentReason: absentReason, shape: shape)
    }

    public static func layerNorm(_ slot: String, _ names: LayoutNames, gguf: String? = nil,
                                 width: @escaping @Sendable (VLMConfig) -> Int) -> ModuleDecl {
        ModuleDecl(.layerNorm, slot: slot, names: names, gguf: gguf) { [width($0)] }
    }

    public static func rmsNorm(_ slot: String, _ names: LayoutNames, gguf: String? = nil,
                               width: @escaping @Sendable (VLMConfig) -> Int) -> ModuleDecl {
        ModuleDecl(.rmsNorm, slot: slot, names: names, gguf: gguf) { [width($0)] }
    }
}
