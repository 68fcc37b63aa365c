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

    /// Which layout a folder holds, judged from its files alone. `supplied` names sub-folders
    /// whose weights the caller opens itself (an imported `.pt`), so they need no safetensors.
    public static func detectLayout(_ folder: String, supplied: Set<String> = []) throws -> LayoutKind {
        guard Path.isDirectory(folder) else {
            if Path.exists(folder) { throw LayoutError.notAFolder(folder) }
            throw IOError.cannotOpen(path: folder, reason: "no such file or directory")
        }
        let subs = LayoutKind.vila.folders
        let present = subs.filter { Path.isDirectory(Path.join(folder, $0)) }
        if !present.isEmpty {
            for sub in subs where !supplied.contains(sub) && !CheckpointFiles.exist(in: Path.join(folder, sub)) {
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

    /// Loads a checkpoint with the families its config names, or with `description` (a family
    /// VLMKit does not ship, such as a new projector variant). `stores` replaces the weights of a
    /// placement folder ("" for the top folder, "llm", …) by a store the caller opened — an
    /// imported quantized checkpoint seen through its dequantizing view; the graph's coverage
    /// checks apply to it as to any other.
    public static func load(_ folder: String, description: ModelDescription? = nil, overrides: ConfigOverrides = .none,
                            stores supplied: [String: any TensorStore] = [:]) throws -> VLMGraph {
        let layout = try detectLayout(folder, supplied: Set(supplied.keys))
        let config = try ConfigLoader.read(FolderConfigSource(folder), layout: layout, overrides: overrides)
        let model = description ?? ModelDescription(config)
        var stores = supplied
        var parts: [LayoutPart] = []
        for part in model.families.flatMap(\.parts) {
            let place = layout.placement(part.role)
            let store: any TensorStore
            if let open = stores[place.folder] {
                store = open
            } else {
                store = try CheckpointFiles.open(place.folder.isEmpty ? folder : Path.join(folder, place.folder))
                stores[place.folder] = store
            }
            // The first prefix under which the part's first tensor exists (names differ between
            // transformers versions), else the first, so that missing tensors are reported under
            // the most likely name.
            let anchor = part.anchor(layout)
            let prefix = anchor.flatMap { a in place.prefixes.first { store.info($0 + a) != nil } } ?? place.prefixes[0]
            parts.append(LayoutPart(store: store, prefix: prefix, table: part.table(layout)))
        }
        return try GraphBuilder.build(path: folder, config: config, description: model, parts: parts)
    }
}
