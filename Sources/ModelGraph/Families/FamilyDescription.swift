/// Where a layout stores a family part: the language model's decoder body and its output head
/// live under different prefixes in every layout, so they are separate parts.
public enum PartRole: String, Sendable, CaseIterable {
    case decoder, head, vision, projector
}

/// Modules a layout places under one prefix, with the checkpoint names known and deliberately
/// not loaded.
public struct FamilyPart: Sendable {
    public let name: String
    public let role: PartRole
    public let modules: [ModuleDecl]
    public let ignored: [IgnoreRule]

    public init(_ name: String, role: PartRole, _ modules: [ModuleDecl], ignored: [(String, String)] = []) {
        self.name = name
        self.role = role
        self.modules = modules
        self.ignored = ignored.map { IgnoreRule(source: $0.0, reason: $0.1) }
    }

    /// The part's checkpoint names → slots in one layout, as a table of plain rules.
    public func table(_ layout: LayoutKind) -> NameTable {
        let rules = modules.flatMap { $0.templates(layout) }.compactMap { t in t.name.map { NameRule(source: $0, slot: t.slot) } }
        return NameTable(name: name, rules: rules, ignored: ignored)
    }

    /// The checkpoint name whose presence tells which prefix a layout used (its first tensor).
    public func anchor(_ layout: LayoutKind) -> String? {
        modules.first.flatMap { $0.templates(layout).first?.name }
    }
}

/// One tensor a configured model has (or may hold and drop): a module's weight or bias for one layer.
public struct DeclaredTensor: Sendable {
    public let module: ModuleDecl
    public let part: FamilyPart
    public let layer: Int?
    public let isBias: Bool
    public let shape: [Int]
    /// Why a checkpoint's copy is dropped, for a module the config does not use but a
    /// checkpoint may hold (`absentReason`); nil for a tensor the model uses.
    public let dropReason: String?

    public var present: Bool { dropReason == nil }

    public var slot: String { isBias ? module.biasSlot(layer) : module.weightSlot(layer) }
    public var role: ModuleKind { module.kind }
    /// Linear weights are the only tensors a recipe may quantize.
    public var isQuantizable: Bool { module.isQuantizable && !isBias }
    /// A norm's scale (synthetic checkpoints initialise it to 1).
    public var isNormScale: Bool { module.isNorm && !isBias }

    public func checkpointName(_ layout: LayoutKind) -> String? {
        module.templates(layout).first { $0.isBias == isBias }?.name.map { module.fill($0, layer) }
    }

    public var ggufName: String? { module.ggufName(layer, bias: isBias) }
}

/// A model family — a decoder, a vision tower, a projector — described once as data. Name
/// tables, coverage checks, expected shapes of stored models, synthesize specs, quantizable
/// Linears and GGUF names are all derived from it; runners bind its modules to typed layers.
public struct FamilyDescription: Sendable {
    public let name: String
    /// What the family is in a model, for messages ("language model", "vision tower").
    public let label: String
    public let parts: [FamilyPart]
    /// How many times the per-layer modules repeat under a config.
    public let layers: @Sendable (VLMConfig) -> Int

    public init(_ name: String, label: String, layers: @escaping @Sendable (VLMConfig) -> Int, parts: [FamilyPart]) {
        self.name = name
        self.label = label
        self.layers = layers
        self.parts = parts
    }

    public func part(_ role: PartRole) -> FamilyPart? { parts.first { $0.role == role } }

    /// Every tensor the family has under `config`, in graph order: modules in declared order,
    /// each run of per-layer modules repeated layer by layer; absent modules with a reason are
    /// included with their drop reason, absent ones without are left out.
    public func tensors(_ config: VLMConfig) -> [DeclaredTensor] {
        var out: [DeclaredTensor] = []
        let n = layers(config)
        func emit(_ m: ModuleDecl, _ part: FamilyPart, _ layer: Int?) {
            let present = m.present(config)
            guard present || m.absentReason != nil else { return }
            let shape = m.shape(config)
            out.append(DeclaredTensor(module: m, part: part, layer: layer, isBias: false, shape: shape,
                                      dropReason: present ? nil : m.absentReason))
            if present && m.bias(config) {
                let bshape = m.kind == .layerNorm ? shape : [shape[0]]
                out.append(DeclaredTensor(module: m, part: part, layer: layer, isBias: true, shape: bshape, dropReason: nil))
            }
        }
        for part in parts {
            var i = 0
            let ms = part.modules
            while i < ms.count {
                guard ms[i].isPerLayer else { emit(ms[i], part, nil); i += 1; continue }
                var j = i
                while j < ms.count && ms[j].isPerLayer { j += 1 }
                for l in 0..<n { for m in ms[i..<j] { emit(m, part, l) } }
                i = j
            }
        }
        return out
    }
}
