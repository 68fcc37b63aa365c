import TensorCore

/// A `torch.save` file (PyTorch ≥ 1.6: a ZIP of `<archive>/data.pkl` and one entry per storage,
/// `<archive>/data/<key>`) holding a state dict: tensor names to contiguous tensors. Opening reads
/// the pickle with `RestrictedUnpickler` (no code runs) and checks every tensor against its
/// storage; tensor bytes are slices of the memory-mapped file, used in place (formats/torch-pt.md).
// Unchecked Sendable: immutable after init; reads a read-only memory map.
public final class TorchCheckpoint: TensorStore, @unchecked Sendable {
    public let path: String
    private let mapped: MappedFile
    private let byName: [String: TensorInfo]
    public let tensorNames: [String]

    /// The ZIP local-file signature that starts every `torch.save` archive.
    public static func looksLikeTorchZip(_ path: String) -> Bool {
        guard let f = try? MappedFile(path: path), f.size >= 4 else { return false }
        return Array(f.bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04]
    }

    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        let b = mapped.bytes
        if b.count >= 2 && b[0] == 0x80 {
            throw TorchFileError(path, "a legacy torch.save file (before PyTorch 1.6, a bare pickle): not read — re-save it with a current PyTorch")
        }
        let archive = try ZipArchive(b, file: path)
        guard let pkl = archive.entries.first(where: { $0.name.hasSuffix("/data.pkl") && !$0.name.dropLast(9).contains("/") }) else {
            throw TorchFileError(path, "no <archive>/data.pkl: not a torch.save archive")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let order = archive.byName[prefix + "byteorder"] {
            let text = String(decoding: mapped.slice(order.range), as: UTF8.self)
            guard text == "little" else { throw TorchFileError(path, "byteorder is \"\(text)\"; only little-endian files are read") }
        }
        let pklBytes = mapped.slice(pkl.range)
        guard CRC32.checksum(pklBytes) == pkl.crc32 else { throw TorchFileError(path, "\(pkl.name) fails its CRC-32 check: the file is damaged") }
        let root = try RestrictedUnpickler.load(pklBytes, file: path)
        guard case let .dict(d) = root else { throw TorchFileError(path, "data.pkl holds no dict of tensors (a state dict is what vlmkit reads)") }
        var infos: [String: TensorInfo] = [:], names: [String] = []
        for (k, v) in zip(d.keys, d.values) {
            guard case let .string(name) = k else { throw TorchFileError(path, "a state-dict key is not a string") }
            guard case let .tensor(t) = v else { throw TorchFileError(path, "\"\(name)\" is not a tensor; vlmkit reads state dicts of tensors only") }
            guard infos[name] == nil else { throw TorchFileError(path, "\"\(name)\" appears twice") }
            guard let dtype = RestrictedUnpickler.storageTypes[t.storageType] else { throw TorchFileError(path, "\"\(name)\": storage type \(t.storageType)") }
            guard let entry = archive.byName[prefix + "data/" + t.storageKey] else {
                throw TorchFileError(path, "\"\(name)\" refers to storage \(t.storageKey), which the archive does not hold")
            }
            let item = dtype.byteSize
            let (storageBytes, o1) = t.storageNumel.multipliedReportingOverflow(by: item)
            guard !o1, storageBytes == entry.range.count else {
                throw TorchFileError(path, "storage \(t.storageKey) should hold \(t.storageNumel) × \(item) bytes but its entry has \(entry.range.count)")
            }
            var numel = 1
            for s in t.size {
                let (n, o) = numel.multipliedReportingOverflow(by: s)
                guard !o else { throw TorchFileError(path, "\"\(name)\" has an absurd size \(t.size)") }
                numel = n
            }
            // Row-major contiguous; a dimension of size 1 may carry any stride.
            var expected = 1
            for i in stride(from: t.size.count - 1, through: 0, by: -1) {
                guard t.size[i] == 1 || t.stride[i] == expected else {
                    throw TorchFileError(path, "\"\(name)\" is not contiguous (size \(t.size), stride \(t.stride)); save it after .contiguous()")
                }
                expected *= t.size[i]
            }
            guard t.offset <= t.storageNumel, numel <= t.storageNumel - t.offset else {
                throw TorchFileError(path, "\"\(name)\" (\(numel) elements from \(t.offset)) runs past its storage of \(t.storageNumel)")
            }
            let start = entry.range.lowerBound + t.offset * item
            infos[name] = TensorInfo(name: name, dtype: dtype, shape: Shape(t.size), byteRange: start..<(start + numel * item), file: path)
            names.append(name)
        }
        byName = infos
        tensorNames = names.sorted()
    }

    /// Checks every stored entry against its ZIP CRC-32 (a full read of the file; importers call
    /// it, so that a damaged download is named rather than converted).
    public func verifyChecksums() throws {
        let zip = try ZipArchive(mapped.bytes, file: path)
        for e in zip.entries where CRC32.checksum(mapped.slice(e.range)) != e.crc32 {
            throw TorchFileError(path, "\(e.name) fails its CRC-32 check: the file is damaged")
        }
    }

    public var location: String { path }
    public var metadata: [String: String] { [:] }
    public func info(_ name: String) -> TensorInfo? { byName[name] }
    public func keepsBytes(_ name: String) -> Bool { byName[name] != nil }
    public func release(_ name: String) {
        if let info = byName[name] { mapped.adviseDontNeed(info.byteRange) }
    }

    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let info = byName[name] else { throw TorchFileError(path, "no tensor \"\(name)\"") }
        return mapped.slice(info.byteRange)
    }
}
