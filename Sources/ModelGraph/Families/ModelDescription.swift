import TensorCore

/// Where one layout keeps a family part: the folder (relative to the checkpoint) and the
/// name prefixes transformers versions have used, most likely first.
public struct PartPlacement: Sendable {
    public let folder: String
    public let prefixes: [String]
}

extension LayoutKind {
    /// The placement of a part in this layout (formats/checkpoint-layouts.md).
    public func placement(_ role: PartRole) -> PartPlacement {
        switch (self, role) {
        case (.vila, .decoder): return PartPlacement(folder: "llm", prefixes: ["model."])
        case (.vila, .head): return PartPlacement(folder: "llm", prefixes: [""])
        // transformers 4.x saved CLIPVisionModel/SiglipVisionModel under "vision_model."; 5.x does not.
        case (.vila, .vision): return PartPlacement(folder: "vision_tower", prefixes: ["vision_model.", ""])
        case (.vila, .projector): return PartPlacement(folder: "mm_projector", prefixes: [""])
        // LLaVA-HF: ≤ 4.51 and 5.x saves use language_model.model.* and vision_tower.[vision_model.]*;
        // 4.52–4.57 nest everything under model. with lm_head at the top.
        case (.llavaHF, .decoder): return PartPlacement(folder: "", prefixes: ["model.language_model.", "language_model.model."])
        case (.llavaHF, .head): return PartPlacement(folder: "", prefixes: ["", "language_model."])
        case (.llavaHF, .vision):
            return PartPlacement(folder: "", prefixes: ["model.vision_tower.vision_model.", "vision_tower.vision_model.",
                                                        "model.vision_tower.", "vision_tower."])
        case (.llavaHF, .projector): return PartPlacement(folder: "", prefixes: ["model.multi_modal_projector.", "multi_modal_projector."])
        }
    }
}

extension LayoutKind {
    /// The sub-folders a checkpoint of this layout has (none for single-folder layouts).
    public var folders: [String] {
        var out: [String] = []
        for role in PartRole.allCases {
            let f = placement(role).folder
            if !f.isEmpty && !out.contains(f) { out.append(f) }
        }
        return out
    }

    /// The folder prefix ("llm/" or "") of a file that belongs with a part: the tokenizer sits
    /// beside the language model, the image processor's config beside the vision tower.
    public func folderPrefix(_ role: PartRole) -> String {
        let f = placement(role).folder
        return f.isEmpty ? "" : f + "/"
    }

    public var tokenizerFolder: String { folderPrefix(.decoder) }
}

/// A tensor a checkpoint of some configuration holds: folder, checkpoint name, shape.
public struct TensorSpec: Sendable {
    public let folder: String
    public let name: String
    public let shape: Shape
    /// A norm's scale (initialised to 1 by synthetic checkpoints).
    public let isNormScale: Bool
}

/// The families a vision-language model is made of: ViT → projector → language model. Every
/// list of tensors the toolchain needs is derived from here.
public struct ModelDescription: Sendable {
    public let vision: FamilyDescription
    public let projector: ProjectorFamily
    public let llm: FamilyDescription

    public init(vision: FamilyDescription, projector: ProjectorFamily, llm: FamilyDescription) {
        self.vision = vision
        self.projector = projector
        self.llm = llm
    }

    /// The families a config names.
    public init(_ config: VLMConfig) {
        self.init(vision: VisionTowerFamilies.description(config.vision.kind),
                  projector: ProjectorFamilies.family(config.projector.type), llm: LlamaDecoderFamily.description)
    }

    /// In graph order.
    public var families: [FamilyDescription] { [vision, projector.description, llm] }

    /// Every tensor the config implies (and the absent ones a checkpoint may hold), in graph order.
    public func tensors(_ config: VLMConfig) -> [DeclaredTensor] {
        families.flatMap { $0.tensors(config) }
    }

    /// Slot → shape of every tensor the config has: the contract stored models (quantized
    /// folders, bundles) are checked against.
    public func shapes(_ config: VLMConfig) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: tensors(config).filter(\.present).map { ($0.slot, $0.shape) })
    }

    /// The tensors of a checkpoint of this config in `layout`, with folder and full name
    /// (the first prefix of each placement: what VILA 1.5 published).
    public func checkpointSpecs(_ config: VLMConfig, layout: LayoutKind) -> [TensorSpec] {
        tensors(config).filter(\.present).compactMap { t in
            let place = layout.placement(t.part.role)
            return t.checkpointName(layout).map {
                TensorSpec(folder: place.folder, name: place.prefixes[0] + $0, shape: Shape(t.shape), isNormScale: t.isNormScale)
            }
        }
    }

    /// Every part's name table in `layout`.
    public func tables(_ layout: LayoutKind) -> [NameTable] {
        families.flatMap(\.parts).map { $0.table(layout) }
    }
}
