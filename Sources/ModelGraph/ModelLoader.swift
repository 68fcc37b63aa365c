import TensorIO

/// Entry point: detect the layout of a checkpoint folder, read its configs, open its weights
/// lazily and map every tensor into a VLMGraph.
public enum ModelLoader {
    public enum LayoutError: Error, CustomStringConvertible, Equatable {
        case notAFolder(String)
        case unknownLayout(String, detail: String)
        case missingSubfolder(folder: String, sub: String)

        public var description: String {
            switch self {
            case .notAFolder(let p): return "\(p): not a checkpoint folder (expected a directory)"
            case let .unknownLayout(p, detail): return "\(p): cannot tell the checkpoint layout: \(detail)"
            case let .missingSubfolder(f, sub): return "\(f): VILA checkpoint is missing its \(sub)/ folder (or its weights)"
            }
        }
    }

    /// Which layout a folder holds, judged from its files alone.
    public static func detectLayout(_ folder: String) throws -> LayoutKind {
        guard Path.isDirectory(folder) else {
            if Path.exists(folder) { throw LayoutError.notAFolder(folder) }
            throw IOError.cannotOpen(path: folder, reason: "no such file or directory")
        }
        let subs = ["llm", "vision_tower", "mm_projector"]
        let present = subs.filter { Path.isDirectory(Path.join(folder, $0)) }
        if !present.isEmpty {
            for sub in subs where !CheckpointFiles.exist(in: Path.join(folder, sub)) {
                throw LayoutError.missingSubfolder(folder: folder, sub: sub)
            }
            return .vila
        }
        let configPath = Path.join(folder, "config.json")
        guard Path.isRegularFile(configPath) else {
            throw LayoutError.unknownLayout(folder, detail: "no config.json and no llm/, vision_tower/, mm_projector/ folders")
        }
        let config = try ConfigObject.read(configPath)
        let type = try config.string("model_type")
        if type == "llava" { return .llavaHF }
        if type == "llava_llama" { throw LayoutError.missingSubfolder(folder: folder, sub: "llm") }
        throw LayoutError.unknownLayout(folder, detail: "config.json model_type is \(type.map { "\"\($0)\"" } ?? "absent"); expected \"llava\" (LLaVA-HF) or a VILA folder")
    }

    public static func load(_ folder: String) throws -> VLMGraph {
        switch try detectLayout(folder) {
        case .vila: return try loadVILA(folder)
        case .llavaHF: return try loadLlavaHF(folder)
        }
    }

    /// Where one table applies: the first candidate prefix under which `anchor` exists (names
    /// differ between transformers versions), else the first candidate, so that missing
    /// tensors are reported under the most likely name.
    struct PartSpec {
        let store: any TensorStore
        let candidates: [String]
        let anchor: String?
        let table: NameTable

        func resolve() -> LayoutPart {
            let prefix = anchor.flatMap { a in candidates.first { store.info($0 + a) != nil } } ?? candidates[0]
            return LayoutPart(store: store, prefix: prefix, table: table)
        }
    }

    static let visionAnchor = "embeddings.patch_embedding.weight"

    static func loadVILA(_ folder: String) throws -> VLMGraph {
        let config = try ConfigLoader.readVILA(folder: folder)
        let llm = try CheckpointFiles.open(Path.join(folder, "llm"))
        let vision = try CheckpointFiles.open(Path.join(folder, "vision_tower"))
        let proj = try CheckpointFiles.open(Path.join(folder, "mm_projector"))
        let visionTable = config.vision.kind == .clip ? NameTables.clipVision : NameTables.siglipVision
        let specs = [
            PartSpec(store: llm, candidates: ["model."], anchor: nil, table: NameTables.llamaDecoder),
            PartSpec(store: llm, candidates: [""], anchor: nil, table: NameTables.llamaHead),
            // transformers 4.x saved CLIPVisionModel/SiglipVisionModel under "vision_model."; 5.x does not.
            PartSpec(store: vision, candidates: ["vision_model.", ""], anchor: visionAnchor, table: visionTable),
            PartSpec(store: proj, candidates: [""], anchor: nil, table: NameTables.vilaProjector(config.projector.type)),
        ]
        return try GraphBuilder.build(path: folder, config: config, parts: specs.map { $0.resolve() })
    }

    static func loadLlavaHF(_ folder: String) throws -> VLMGraph {
        let config = try ConfigLoader.readLlavaHF(folder: folder)
        let store = try CheckpointFiles.open(folder)
        let visionTable = config.vision.kind == .clip ? NameTables.clipVision : NameTables.siglipVision
        // Key names by transformers version: ≤ 4.51 and 5.x saves use language_model.model.* and
        // vision_tower.[vision_model.]*; 4.52–4.57 nest everything under model. with lm_head at the top.
        let specs = [
            PartSpec(store: store, candidates: ["model.language_model.", "language_model.model."],
                     anchor: "embed_tokens.weight", table: NameTables.llamaDecoder),
            PartSpec(store: store, candidates: ["", "language_model."], anchor: "lm_head.weight", table: NameTables.llamaHead),
            PartSpec(store: store, candidates: ["model.vision_tower.vision_model.", "vision_tower.vision_model.",
                                                "model.vision_tower.", "vision_tower."],
                     anchor: visionAnchor, table: visionTable),
            PartSpec(store: store, candidates: ["model.multi_modal_projector.", "multi_modal_projector."],
                     anchor: "linear_1.weight", table: NameTables.llavaProjector),
        ]
        return try GraphBuilder.build(path: folder, config: config, parts: specs.map { $0.resolve() })
    }
}
