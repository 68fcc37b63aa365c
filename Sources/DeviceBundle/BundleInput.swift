import Foundation
import ModelGraph
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
        /// Calls its argument with the stored bytes, in place where they are (a mapped file),
        /// when the tensor is written — one tensor at a time, never copied.
        public let withBytes: (_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Void

        public init(name: String, dtype: DType, shape: Shape, origin: String, originName: String? = nil,
                    withBytes: @escaping (_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.origin = origin
            self.originName = originName
            self.withBytes = withBytes
        }
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

    public init(sourcePath: String, sourceKind: String, layout: LayoutKind, config: VLMConfig,
                files: [(path: String, bytes: [UInt8])], tensors: [TensorEntry], quantization: [(key: String, value: JSONValue)]) {
        self.sourcePath = sourcePath
        self.sourceKind = sourceKind
        self.layout = layout
        self.config = config
        self.files = files
        self.tensors = tensors
        self.quantization = quantization
    }

    /// A float checkpoint: tensors by slot name in their stored dtype.
    public static func checkpoint(_ graph: VLMGraph) throws -> BundleInput {
        let tensors = graph.tensors.map { ref in
            TensorEntry(name: ref.slot, dtype: ref.dtype, shape: ref.shape, origin: ref.info.file, originName: ref.source) { body in
                try ref.withRawBytes(body)
            }
        }
        return BundleInput(sourcePath: graph.path, sourceKind: "checkpoint", layout: graph.config.layout, config: graph.config,
                           files: try collectFiles(graph.path, layout: graph.config.layout, overrides: graph.config.overrides), tensors: tensors,
                           quantization: graph.tensors.map { ($0.slot, .object([("dtype", .string($0.dtype.displayName))])) })
    }

    /// Non-weight files of a checkpoint folder (and its VILA sub-folders), sorted by path;
    /// `vlmkit-overrides.json` is made from `overrides` instead of copied.
    public static func collectFiles(_ root: String, layout: LayoutKind, overrides: ConfigOverrides) throws -> [(path: String, bytes: [UInt8])] {
        var files = try CheckpointConfigFiles.list(in: root, layout: layout).filter { $0 != ConfigOverrides.fileName }.map { rel in
            (path: rel, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Path.join(root, rel)))))
        }
        if !overrides.isEmpty {
            files.append((ConfigOverrides.fileName, Array((overrides.json.serialized + "\n").utf8)))
            files.sort { $0.path < $1.path }
        }
        return files
    }
}
