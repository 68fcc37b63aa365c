import TensorCore

/// A checkpoint split over several safetensors files and described by a
/// `model.safetensors.index.json` (`{"metadata": {...}, "weight_map": {tensor: shard file}}`).
///
/// Every shard's header is validated on open; the index and the shards must agree exactly:
/// each listed tensor is in the shard named for it, and each shard holds only tensors the
/// index assigns to it.
// Unchecked Sendable: immutable after init; its shards are read-only maps.
public final class ShardedCheckpoint: TensorStore, @unchecked Sendable {
    public let indexPath: String
    public let shards: [String: SafetensorsFile]
    private let owner: [String: SafetensorsFile]
    public let tensorNames: [String]

    public init(indexPath: String) throws {
        self.indexPath = indexPath
        let json: JSONValue
        do {
            json = try JSONFile.read(indexPath)
        } catch let e as JSONParseError {
            throw SafetensorsError.badIndex(file: indexPath, detail: e.description)
        }
        guard case .object = json, let weightMap = json["weight_map"]?.objectValue else {
            throw SafetensorsError.badIndex(file: indexPath, detail: "missing object \"weight_map\"")
        }
        let folder = Path.directory(of: indexPath)
        if let twins = NameTwins.first(in: weightMap.map(\.key)) {
            throw SafetensorsError.ambiguousNames(file: indexPath, detail: NameTwins.describe(twins, what: "weight_map tensor"))
        }
        var shardFiles: [String: SafetensorsFile] = [:]
        var owner: [String: SafetensorsFile] = [:]
        for (tensor, value) in weightMap {
            guard let shard = value.stringValue else {
                throw SafetensorsError.badIndex(file: indexPath, detail: "weight_map[\"\(tensor)\"] must be a file name, found \(value.typeName)")
            }
            guard Path.isPlainFileName(shard) else {
                throw SafetensorsError.badIndex(file: indexPath, detail: "shard name '\(shard)' for tensor '\(tensor)' must be a file name in the same folder")
            }
            let file: SafetensorsFile
            if let open = shardFiles[shard] {
                file = open
            } else {
                let shardPath = Path.join(folder, shard)
                guard Path.isRegularFile(shardPath) else {
                    throw SafetensorsError.shardMissing(index: indexPath, shard: shard, tensor: tensor)
                }
                file = try SafetensorsFile(path: shardPath)
                shardFiles[shard] = file
            }
            guard file.info(tensor) != nil else {
                throw SafetensorsError.tensorNotInShard(index: indexPath, shard: shard, tensor: tensor)
            }
            owner[tensor] = file
        }
        for (shard, file) in shardFiles.sorted(by: { $0.key < $1.key }) {
            for name in file.tensorNames where owner[name] !== file {
                throw SafetensorsError.tensorNotInIndex(index: indexPath, shard: shard, tensor: name)
            }
        }
        self.shards = shardFiles
        self.owner = owner
        self.tensorNames = owner.keys.sorted()
    }

    public var location: String { indexPath }

    public var metadata: [String: String] {
        shards.sorted(by: { $0.key < $1.key }).first?.value.metadata ?? [:]
    }

    public func info(_ name: String) -> TensorInfo? { owner[name]?.info(name) }

    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let file = owner[name] else { throw SafetensorsError.tensorNotFound(file: indexPath, tensor: name) }
        return try file.bytes(name)
    }

    public func release(_ name: String) { owner[name]?.release(name) }
    public func keepsBytes(_ name: String) -> Bool { owner[name]?.keepsBytes(name) ?? false }
}

/// Opens what a Hugging Face model folder stores its weights in: `model.safetensors`, or
/// `model.safetensors.index.json` with its shards. A path to a file opens that file.
public enum CheckpointFiles {
    public static func open(_ path: String) throws -> TensorStore {
        if Path.isDirectory(path) {
            let index = Path.join(path, "model.safetensors.index.json")
            let single = Path.join(path, "model.safetensors")
            if Path.isRegularFile(index) { return try ShardedCheckpoint(indexPath: index) }
            if Path.isRegularFile(single) { return try SafetensorsFile(path: single) }
            throw IOError.cannotOpen(path: path, reason: "no model.safetensors or model.safetensors.index.json in this folder")
        }
        if path.hasSuffix(".index.json") { return try ShardedCheckpoint(indexPath: path) }
        return try SafetensorsFile(path: path)
    }

    /// True when `folder` holds weights `open` can read.
    public static func exist(in folder: String) -> Bool {
        Path.isRegularFile(Path.join(folder, "model.safetensors.index.json"))
            || Path.isRegularFile(Path.join(folder, "model.safetensors"))
    }
}
