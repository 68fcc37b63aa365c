import Chat
import DeviceBundle
import ModelGraph
import Quantization
import TensorIO

/// The summary `inspect` prints for any stored model: a checkpoint, a quantized folder or a bundle.
public enum StoredModelSummary {
    /// The summary, with how the model's tokenizer covers the embedding rows when a tokenizer loads.
    public static func load(_ path: String, overrides: ConfigOverrides = .none,
                            imageSizes: [(width: Int, height: Int)] = []) throws -> ModelSummary {
        var summary = try storedSummary(path, overrides: overrides)
        summary.summary.tiling = ImageTilingSummary(summary.config, imageSizes: imageSizes)
        if let tokenizer = try? ModelTokenizer.load(path, layout: summary.config.layout) {
            summary.summary.tokenizer = .init(ids: tokenizer.idCount, embeddingRows: summary.config.llm.vocabSize)
        }
        // The template `run` would pick (it needs the tokenizer; a config-only folder may have none).
        if let assets = try? ModelAssets(files: ModelTokenizer.configFiles(path), config: summary.config) {
            do {
                let (t, why) = try assets.chooseTemplate(model: path)
                summary.summary.prompt.template = t.name
                summary.summary.prompt.reason = why
                summary.summary.prompt.stop = t.stopString
            } catch {
                summary.summary.problems.append("the chat template cannot be used: \(error)")
            }
        }
        return summary.summary
    }

    static func storedSummary(_ path: String, overrides: ConfigOverrides = .none) throws -> (summary: ModelSummary, config: VLMConfig) {
        if DeviceBundleFile.looksLikeBundle(path) {
            let b = try DeviceBundleFile(path: path)
            let w = try b.weights(overrides: overrides)
            return (ModelSummary(path: path, config: w.config, tensors: stored(b, schemes: w.schemes), ignored: [],
                                 layoutNote: "device bundle, \(b.manifest["source"]?["kind"]?.stringValue ?? "?")"), w.config)
        }
        if QuantizedModel.isQuantizedModel(path) {
            let m = try QuantizedModel(path: path, overrides: overrides)
            return (ModelSummary(path: path, config: m.config, tensors: stored(m.store, schemes: m.schemes), ignored: [],
                                 layoutNote: "quantized, \(m.manifest["method"]?.stringValue ?? "?")"), m.config)
        }
        if let layout = configOnlyLayout(path) {
            // A config without weights (e.g. read before downloading them): summarized, no tensors.
            let config = try ConfigLoader.read(FolderConfigSource(path), layout: layout, overrides: overrides)
            return (ModelSummary(path: path, config: config, tensors: [], ignored: [], layoutNote: "config only, no weights"), config)
        }
        if ImportSource.isPackedCheckpoint(path) {
            // Another tool's int4 checkpoint: its packed Linears with the tool's storage and bytes.
            let source = try ImportSource.detect(path)
            let graph = try source.loadGraph(overrides: overrides)
            let group = source.groupSize > 0 ? "g\(source.groupSize)" : "per-channel"
            let tensors = graph.tensors.map { t in
                let packed = (t.store as? PackedInt4Store)?.packedBytes(t.source)
                return ModelSummary.StoredTensor(slot: t.slot, storage: packed == nil ? t.dtype.displayName : "int4 (\(source.format))",
                                                 parameters: t.shape.elementCount, bytes: packed ?? t.info.byteCount)
            }
            return (ModelSummary(path: path, config: graph.config, tensors: tensors, ignored: graph.ignored,
                                 layoutNote: "\(source.format) int4 \(group), converted by `vlmkit import`"), graph.config)
        }
        let graph = try ModelSource.loadGraph(path, overrides: overrides)
        return (ModelSummary(graph), graph.config)
    }

    /// The layout of a folder that holds a VILA or LLaVA-HF config.json and no weights at all
    /// (no safetensors file in it or in any VILA sub-folder).
    static func configOnlyLayout(_ path: String) -> LayoutKind? {
        guard Path.isRegularFile(Path.join(path, "config.json")),
              let top = try? ConfigObject.read(Path.join(path, "config.json")) else { return nil }
        let layout: LayoutKind
        switch try? top.string("model_type") {
        case "llava_llama"?: layout = .vila
        case "llava"?: layout = .llavaHF
        default: return nil
        }
        for dir in [path] + LayoutKind.vila.folders.map({ Path.join(path, $0) }) where CheckpointFiles.exist(in: dir) { return nil }
        return layout
    }

    /// Quantized layers count their logical parameters once (on qweight); scales and zeros add bytes.
    public static func stored(_ store: any TensorStore, schemes: [String: QuantScheme]) -> [ModelSummary.StoredTensor] {
        store.tensorNames.compactMap { name in
            guard let info = store.info(name) else { return nil }
            for suffix in [".qweight", ".scales", ".zeros"] where name.hasSuffix(suffix) {
                let prefix = String(name.dropLast(suffix.count))
                if let scheme = schemes[prefix] {
                    let params = suffix == ".qweight" ? info.shape.elementCount * (scheme == .int8 ? 1 : 2) : 0
                    return .init(slot: prefix + ".weight", storage: scheme.description, parameters: params, bytes: info.byteCount)
                }
            }
            return .init(slot: name, storage: info.dtype.displayName, parameters: info.shape.elementCount, bytes: info.byteCount)
        }
    }
}
