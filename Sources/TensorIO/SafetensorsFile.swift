import TensorCore

/// One safetensors file, memory-mapped. Opening parses and validates only the header;
/// tensor bytes are read from the map when asked for.
// Unchecked Sendable: immutable after init; reads a read-only memory map.
public final class SafetensorsFile: TensorStore, @unchecked Sendable {
    public let path: String
    public let header: SafetensorsHeader
    private let mapped: MappedFile
    private let byName: [String: TensorInfo]

    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        header = try SafetensorsHeader(fileBytes: mapped.bytes, file: path)
        byName = Dictionary(uniqueKeysWithValues: header.tensors.map { ($0.name, $0) })
    }

    public var location: String { path }
    public var tensorNames: [String] { header.tensors.map(\.name) }
    public var metadata: [String: String] { header.metadata }
    public var tensors: [TensorInfo] { header.tensors }
    public var fileSize: Int { mapped.size }

    public func info(_ name: String) -> TensorInfo? { byName[name] }

    public func release(_ name: String) {
        if let info = byName[name] { mapped.adviseDontNeed(info.byteRange) }
    }

    /// Tensors are slices of the file's mapping, which lives as long as this object.
    public func keepsBytes(_ name: String) -> Bool { byName[name] != nil }

    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let info = byName[name] else { throw SafetensorsError.tensorNotFound(file: path, tensor: name) }
        return mapped.slice(info.byteRange)
    }
}
