import Foundation
import ModelGraph
import Quantization
import TensorCore
import TensorIO

/// What goes into a bundle: the model's files and tensors, however it is stored now.
public struct BundleInput {
    public struct TensorEntry {
        public let name: String
        public let dtype: DType
        public let shape: Shape
        /// The file the tensor comes from and its name there, for messages.
        public let origin: String
        public var originName: String? = nil
        /// The stored bytes (produced when written, one tensor at a time).
        public let bytes: () throws -> [UInt8]
    }

    public let sourcePath: String
    public let sourceKind: String
    public let layout: LayoutKind
    public let config: VLMConfig
    /// Non-weight files (configs, tokenizer, preprocessor), relative path → bytes.
    public let files: [(path: String, bytes: [UInt8])]
    public let tensors: [TensorEntry]
    /// Per-slot storage: {"scheme": …} or {"dtype": …}.
    public let quantization: [(key: String, value: JSONValue)]

    /// A float checkpoint: tensors by slot name in their stored dtype.
    public static func checkpoint(_ graph: VLMGraph) throws -> BundleInput {
        let tensors = graph.tensors.map { ref in
            TensorEntry(name: ref.slot, dtype: ref.dtype, shape: ref.shape, origin: ref.info.file, originName: ref.source) { try ref.withRawBytes { Array($0) } }
        }
        return BundleInput(sourcePath: graph.path, sourceKind: "checkpoint", layout: graph.config.layout, config: graph.config,
                           files: try collectFiles(graph.path, layout: graph.config.layout), tensors: tensors,
                           quantization: graph.tensors.map { ($0.slot, .object([("dtype", .string($0.dtype.displayName))])) })
    }

    /// A quantized model folder: its tensors as stored, its manifest's per-tensor entries.
    public static func quantized(_ m: QuantizedModel) throws -> BundleInput {
        let store = m.store
        let tensors = store.tensors.map { info in
            TensorEntry(name: info.name, dtype: info.dtype, shape: info.shape, origin: info.file) { try store.withBytes(info.name) { Array($0) } }
        }
        return BundleInput(sourcePath: m.path, sourceKind: "quantized", layout: m.config.layout, config: m.config,
                           files: try collectFiles(Path.join(m.path, QuantizedModelFormat.configFolder), layout: m.config.layout),
                           tensors: tensors, quantization: m.manifest["tensors"]?.objectValue ?? [])
    }

    /// Non-weight files of a checkpoint folder (and its VILA sub-folders), sorted by path.
    static func collectFiles(_ root: String, layout: LayoutKind) throws -> [(path: String, bytes: [UInt8])] {
        try QuantizedModelFormat.configFiles(in: root, layout: layout).map { rel in
            (rel, [UInt8](try Data(contentsOf: URL(fileURLWithPath: Path.join(root, rel)))))
        }
    }
}
