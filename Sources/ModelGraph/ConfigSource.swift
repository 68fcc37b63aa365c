import TensorIO

/// Where config files come from: a checkpoint folder, or files embedded in a device bundle.
/// Paths are relative (`config.json`, `llm/config.json`); `label` is how messages name them.
public protocol ConfigSource: Sendable {
    func exists(_ relativePath: String) -> Bool
    func read(_ relativePath: String) throws -> ConfigObject
    func label(_ relativePath: String) -> String
    /// The raw bytes of a file (for non-JSON files such as tokenizer.model).
    func bytes(_ relativePath: String) throws -> [UInt8]
}

/// Config files in a folder on disk.
public struct FolderConfigSource: ConfigSource {
    public let root: String

    public init(_ root: String) { self.root = root }

    public func exists(_ relativePath: String) -> Bool { Path.isRegularFile(Path.join(root, relativePath)) }
    public func read(_ relativePath: String) throws -> ConfigObject { try ConfigObject.read(Path.join(root, relativePath)) }
    public func label(_ relativePath: String) -> String { Path.join(root, relativePath) }

    public func bytes(_ relativePath: String) throws -> [UInt8] {
        let f = try MappedFile(path: Path.join(root, relativePath))
        return Array(f.bytes)
    }
}

/// Config files held in memory (their bytes), e.g. read from a bundle.
public struct MemoryConfigSource: ConfigSource {
    public let container: String
    public let files: [String: [UInt8]]

    public init(container: String, files: [String: [UInt8]]) {
        self.container = container
        self.files = files
    }

    public func exists(_ relativePath: String) -> Bool { files[relativePath] != nil }

    public func read(_ relativePath: String) throws -> ConfigObject {
        guard let bytes = files[relativePath] else {
            throw ConfigError.unreadable(file: label(relativePath), detail: "missing")
        }
        do {
            let json = try bytes.withUnsafeBytes { try JSONParser.parse($0, allowNonFinite: true) }
            return try ConfigObject(json: json, file: label(relativePath))
        } catch let e as JSONParseError {
            throw ConfigError.unreadable(file: label(relativePath), detail: e.description)
        }
    }

    public func label(_ relativePath: String) -> String { container + ":" + relativePath }

    public func bytes(_ relativePath: String) throws -> [UInt8] {
        guard let b = files[relativePath] else { throw ConfigError.unreadable(file: label(relativePath), detail: "missing") }
        return b
    }
}
