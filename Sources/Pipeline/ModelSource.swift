import DeviceBundle
import ModelGraph
import Quantization
import ReferenceRuntime

/// Opens a float checkpoint, a quantized model folder or a device bundle as weights for the runner.
public enum ModelSource {
    /// - Parameter allowNonFinite: accept NaN/Inf in weights and scales (--allow-nonfinite);
    ///   otherwise the first one met is an error naming tensor and file.
    public static func open(_ path: String, allowNonFinite: Bool = false) throws -> any WeightSource {
        if DeviceBundleFile.looksLikeBundle(path) { return try DeviceBundleFile(path: path).weights(allowNonFinite: allowNonFinite) }
        if QuantizedModel.isQuantizedModel(path) { return try QuantizedModel(path: path, allowNonFinite: allowNonFinite) }
        return GraphWeights(try ModelLoader.load(path), allowNonFinite: allowNonFinite)
    }
}
