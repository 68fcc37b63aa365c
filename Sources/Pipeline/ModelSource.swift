import DeviceBundle
import ModelGraph
import Quantization
import ReferenceRuntime

/// Opens a float checkpoint, a quantized model folder or a device bundle as weights for the runner.
public enum ModelSource {
    /// - Parameter allowNonFinite: accept NaN/Inf in weights and scales (--allow-nonfinite);
    ///   otherwise the first one met is an error naming tensor and file.
    /// - Parameter overrides: settings from the command line that win over the stored config.
    public static func open(_ path: String, allowNonFinite: Bool = false, overrides: ConfigOverrides = .none) throws -> any WeightSource {
        if DeviceBundleFile.looksLikeBundle(path) {
            return try DeviceBundleFile(path: path).weights(allowNonFinite: allowNonFinite, overrides: overrides)
        }
        if QuantizedModel.isQuantizedModel(path) { return try QuantizedModel(path: path, allowNonFinite: allowNonFinite, overrides: overrides) }
        return GraphWeights(try loadGraph(path, overrides: overrides), allowNonFinite: allowNonFinite)
    }

    /// A checkpoint folder's graph; another tool's int4 checkpoint (AutoAWQ, GPTQ, llm-awq) is read
    /// through `PackedInt4Store`, each packed Linear holding that tool's dequantization.
    public static func loadGraph(_ path: String, overrides: ConfigOverrides = .none) throws -> VLMGraph {
        if ImportSource.isPackedCheckpoint(path) { return try ImportSource.detect(path).loadGraph(overrides: overrides) }
        return try ModelLoader.load(path, overrides: overrides)
    }
}
