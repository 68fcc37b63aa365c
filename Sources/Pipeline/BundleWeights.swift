import DeviceBundle
import ModelGraph
import Quantization
import TensorIO

extension DeviceBundleFile {
    /// The model's weights for the runtime.
    public func weights(allowNonFinite: Bool = false, overrides: ConfigOverrides = .none) throws -> QuantizedWeights {
        let config = try ConfigLoader.read(configFiles(), layout: layout, overrides: overrides)
        let schemes = try QuantizedWeights.schemes(from: manifest["quantization"], file: path)
        try StoredModelValidation.check(store: self, config: config, schemes: schemes, declared: manifest["quantization"])
        return QuantizedWeights(config: config, store: self, schemes: schemes, allowNonFinite: allowNonFinite)
    }
}

extension BundleInput {
    /// A quantized model folder: its tensors as stored, its manifest's per-tensor entries.
    public static func quantized(_ m: QuantizedModel) throws -> BundleInput {
        let store = m.store
        let tensors = store.tensors.map { info in
            TensorEntry(name: info.name, dtype: info.dtype, shape: info.shape, origin: info.file) { body in
                try store.withBytes(info.name, body)
            }
        }
        return BundleInput(sourcePath: m.path, sourceKind: "quantized", layout: m.config.layout, config: m.config,
                           files: try collectFiles(Path.join(m.path, QuantizedModelFormat.configFolder), layout: m.config.layout, overrides: m.config.overrides),
                           tensors: tensors, quantization: m.manifest["tensors"]?.objectValue ?? [])
    }
}
