import DeviceBundle
import ModelGraph
import Quantization
import TensorIO

/// The summary `inspect` prints for any stored model: a checkpoint, a quantized folder or a bundle.
public enum StoredModelSummary {
    public static func load(_ path: String) throws -> ModelSummary {
        if DeviceBundleFile.looksLikeBundle(path) {
            let b = try DeviceBundleFile(path: path)
            let w = try b.weights()
            return ModelSummary(path: path, config: w.config, tensors: stored(b, schemes: w.schemes), ignored: [],
                                layoutNote: "device bundle, \(b.manifest["source"]?["kind"]?.stringValue ?? "?")")
        }
        if QuantizedModel.isQuantizedModel(path) {
            let m = try QuantizedModel(path: path)
            return ModelSummary(path: path, config: m.config, tensors: stored(m.store, schemes: m.schemes), ignored: [],
                                layoutNote: "quantized, \(m.manifest["method"]?.stringValue ?? "?")")
        }
        return ModelSummary(try ModelLoader.load(path))
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
