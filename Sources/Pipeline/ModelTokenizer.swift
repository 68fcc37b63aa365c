import Chat
import DeviceBundle
import ModelGraph
import Quantization
import Tokenizer

/// The checkpoint's tokenizer, found in the files of a checkpoint folder, quantized folder or bundle.
public enum ModelTokenizer {
    /// The config and tokenizer files of any model vlmkit reads.
    public static func configFiles(_ model: String) throws -> any ConfigSource {
        if DeviceBundleFile.looksLikeBundle(model) { return try DeviceBundleFile(path: model).configFiles() }
        if QuantizedModel.isQuantizedModel(model) { return FolderConfigSource(model + "/" + QuantizedModelFormat.configFolder) }
        return FolderConfigSource(model)
    }

    public static func load(_ model: String, layout: LayoutKind) throws -> TextTokenizer {
        try ModelAssets.loadTokenizer(files: configFiles(model), layout: layout)
    }
}
