import Crypto
import Foundation
import ModelGraph
import TensorCore
import TensorIO

/// A bundle opened for reading: memory-mapped; the header and manifest are validated on open
/// (the fast check), blob hashes on `verifyBlobs()` (the full check). Serves its tensors as a
/// `TensorStore` (uncompressed blobs in place; zstd blobs decompressed once, on first use).
// Unchecked Sendable: immutable after init except the decompressed-blob cache, which `lock` guards.
public final class DeviceBundleFile: TensorStore, @unchecked Sendable {
    public struct Blob: Sendable {
        public let name: String
        public let range: Range<Int>
        public let size: Int
        public let compressed: Bool
        public let sha256: String
    }

    public let path: String
    public let header: BundleHeader
    public let manifest: JSONValue
    public let layout: LayoutKind
    public let files: [Blob]
    public let blobs: [String: Blob]
    private let infos: [String: TensorInfo]
    private let mapped: MappedFile
    /// Decompressed zstd blobs, allocated once and freed with the bundle.
    private var decompressed: [String: UnsafeMutableRawBufferPointer] = [:]
    private let lock = NSLock()

    static let physicalMemory: Int = {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }()

    public static func looksLikeBundle(_ path: String) -> Bool {
        guard Path.isRegularFile(path), let f = try? MappedFile(path: path), f.size >= 8 else { return false }
        return Array(f.bytes[0..<8]) == BundleHeader.magic
    }

    public init(path: String) throws {
        self.path = path
        mapped = try MappedFile(path: path)
        let bytes = mapped.bytes
        header = try BundleHeader.decode(bytes, file: path)
        let mrange = Int(header.manifestOffset)..<Int(header.manifestOffset + header.manifestLength)
        let mbytes = mapped.slice(mrange)
        guard Array(SHA256.hash(data: mbytes)) == header.manifestSHA256 else { throw BundleError.manifestChecksum(file: path) }
        do { manifest = try JSONParser.parse(mbytes) } catch let e as JSONParseError {
            throw BundleError.badManifest(file: path, detail: e.description)
        }
        guard manifest["format"]?.stringValue == "vlmkit-bundle" else { throw BundleError.badManifest(file: path, detail: "format is not \"vlmkit-bundle\"") }
        guard let l = manifest["layout"]?.stringValue.flatMap(LayoutKind.init(rawValue:)) else {
            throw BundleError.badManifest(file: path, detail: "unknown layout \(manifest["layout"]?.serialized ?? "(absent)")")
        }
        layout = l
        let file = path
        let alignment = header.alignment
        let dataRange = BundleHeader.size..<Int(header.manifestOffset)
        var taken: [Range<Int>] = []
        func blob(_ e: JSONValue, kind: String) throws -> Blob {
            guard let name = (e["name"] ?? e["path"])?.stringValue else { throw BundleError.badManifest(file: file, detail: "a \(kind) entry has no name") }
            if let why = Self.badName(name, kind: kind) { throw BundleError.badEntry(file: file, name: String(name.prefix(80)), detail: why) }
            guard let off = e["offset"]?.intValue, let len = e["length"]?.intValue, off >= 0, len >= 0 else {
                throw BundleError.badEntry(file: file, name: name, detail: "offset and length must be non-negative integers")
            }
            let (end, overflow) = off.addingReportingOverflow(len)
            guard !overflow, off >= dataRange.lowerBound, end <= dataRange.upperBound else {
                throw BundleError.badEntry(file: file, name: name, detail: "range [\(off), \(off + len)) lies outside the data section [\(dataRange.lowerBound), \(dataRange.upperBound))")
            }
            guard off % Int(alignment) == 0 else {
                throw BundleError.badEntry(file: file, name: name, detail: "offset \(off) is not aligned to \(alignment)")
            }
            guard let sha = e["sha256"]?.stringValue,
                  sha.utf8.count == 64, sha.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw BundleError.badEntry(file: file, name: name, detail: "sha256 must be 64 lowercase hex digits")
            }
            let compression = e["compression"]?.stringValue ?? "none"
            guard compression == "none" || compression == "zstd" else {
                throw BundleError.badEntry(file: file, name: name, detail: "unknown compression \"\(compression)\"")
            }
            let size = e["size"]?.intValue ?? len
            guard compression == "zstd" || size == len else {
                throw BundleError.badEntry(file: file, name: name, detail: "size \(size) differs from stored length \(len) without compression")
            }
            if compression == "zstd" {
                // Nothing is allocated on the file's word: the frame must declare the recorded size,
                // and that size must fit in this machine's memory.
                let frame = UnsafeRawBufferPointer(rebasing: bytes[off..<end])
                guard ZstdCodec.declaredSize(frame) == UInt64(size) else {
                    throw BundleError.badEntry(file: file, name: name, detail: "zstd frame does not declare the recorded size \(size)")
                }
                guard size <= DeviceBundleFile.physicalMemory else {
                    throw BundleError.badEntry(file: file, name: name, detail: "decompressed size \(size) exceeds this machine's memory")
                }
            }
            taken.append(off..<end)
            return Blob(name: name, range: off..<end, size: size, compressed: compression == "zstd", sha256: sha)
        }
        for key in ["files", "tensors"] where manifest[key]?.arrayValue == nil {
            throw BundleError.badManifest(file: path, detail: "\"\(key)\" is \(manifest[key] == nil ? "missing" : "not an array")")
        }
        files = try (manifest["files"]?.arrayValue ?? []).map { try blob($0, kind: "file") }
        let tensorNames = (manifest["tensors"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        for (names, what) in [(files.map(\.name), "file"), (tensorNames, "tensor")] {
            if let twins = NameTwins.first(in: names) {
                throw BundleError.badManifest(file: path, detail: NameTwins.describe(twins, what: what))
            }
        }
        var seenFiles = Set<String>()
        for f in files where !seenFiles.insert(f.name).inserted {
            throw BundleError.badEntry(file: path, name: f.name, detail: "file listed twice")
        }
        var foundBlobs: [String: Blob] = [:], foundInfos: [String: TensorInfo] = [:]
        for e in manifest["tensors"]?.arrayValue ?? [] {
            let b = try blob(e, kind: "tensor")
            guard foundBlobs[b.name] == nil else { throw BundleError.badEntry(file: file, name: b.name, detail: "listed twice") }
            guard let dt = e["dtype"]?.stringValue.flatMap(DType.init(rawValue:)) else {
                throw BundleError.badEntry(file: file, name: b.name, detail: "unknown dtype \(e["dtype"]?.serialized ?? "(absent)")")
            }
            guard let shape = e["shape"]?.arrayValue, shape.count <= Self.maxRank else {
                throw BundleError.badEntry(file: file, name: b.name, detail: "shape must be an array of at most \(Self.maxRank) dimensions")
            }
            let dims = try shape.map { d -> Int in
                guard let v = d.intValue, v >= 0 else { throw BundleError.badEntry(file: file, name: b.name, detail: "bad shape") }
                return v
            }
            guard let n = Shape(dims).checkedByteCount(dt), n == b.size else {
                throw BundleError.badEntry(file: file, name: b.name, detail: "\(dt.rawValue) \(Shape(dims)) does not take \(b.size) bytes")
            }
            foundBlobs[b.name] = b
            foundInfos[b.name] = TensorInfo(name: b.name, dtype: dt, shape: Shape(dims), byteRange: b.range, file: file)
        }
        for (a, b) in zip(taken.sorted { $0.lowerBound < $1.lowerBound }, taken.sorted { $0.lowerBound < $1.lowerBound }.dropFirst())
        where a.upperBound > b.lowerBound {
            throw BundleError.badManifest(file: file, detail: "blobs at \(a) and \(b) overlap")
        }
        let anyCompressed = foundBlobs.values.contains { $0.compressed } || files.contains { $0.compressed }
        guard anyCompressed == (header.flags & 1 == 1) else {
            throw BundleError.badHeader(file: path, detail: anyCompressed
                ? "flags say no blob is zstd-compressed, but the manifest has compressed blobs"
                : "flags say some blob is zstd-compressed, but the manifest has none")
        }
        self.blobs = foundBlobs
        self.infos = foundInfos
    }

    /// Tensors have at most this many dimensions (safetensors and PyTorch allow far fewer in practice).
    public static let maxRank = 8

    /// Names are never used as paths, but a name that looks like an escaping path or carries
    /// control characters is refused all the same.
    static func badName(_ name: String, kind: String) -> String? {
        if name.isEmpty { return "empty \(kind) name" }
        if name.utf8.count > 1024 { return "\(kind) name longer than 1024 bytes" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "\(kind) name holds a control character" }
        if name.hasPrefix("/") || name.contains("\\") || name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
            return "\(kind) name is not a plain relative name (absolute, empty or '.'/'..' components)"
        }
        return nil
    }

    // MARK: TensorStore
    public var location: String { path }
    public var tensorNames: [String] { infos.keys.sorted() }
    public var metadata: [String: String] { [:] }
    public func info(_ name: String) -> TensorInfo? { infos[name] }

    /// Uncompressed blobs are slices of the mapping; compressed ones are decompressed once into
    /// a buffer freed only in deinit. Either lives as long as this object.
    public func keepsBytes(_ name: String) -> Bool { blobs[name] != nil }

    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let b = blobs[name] else { throw SafetensorsError.tensorNotFound(file: path, tensor: name) }
        guard b.compressed else { return mapped.slice(b.range) }
        lock.lock()
        defer { lock.unlock() }
        if let done = decompressed[name] { return UnsafeRawBufferPointer(done) }
        let values: [UInt8]
        do {
            values = try ZstdCodec.decompress(mapped.slice(b.range), expectedSize: b.size)
        } catch {
            throw BundleError.decompression(file: path, name: name, detail: String(describing: error))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(values.count, 1), alignment: 64)
        values.withUnsafeBytes { buffer.copyMemory(from: $0) }
        let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<values.count])
        decompressed[name] = view
        return UnsafeRawBufferPointer(view)
    }

    deinit {
        for (_, b) in decompressed { b.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() } }
    }

    /// The full check: every file and tensor blob hashed against the manifest.
    /// Hashes every blob against its SHA-256 and, unless `allowNonFinite`, checks that no float
    /// tensor (weight or quantization scale) holds NaN or infinity: a bundle that hashes right
    /// but cannot compute is not OK.
    public func verifyBlobs(allowNonFinite: Bool = false, progress: (Int, Int) -> Void = { _, _ in }) throws {
        let all = files + blobs.values.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (i, b) in all.enumerated() {
            let digest = SHA256.hash(data: mapped.slice(b.range)).map { String(format: "%02x", $0) }.joined()
            guard digest == b.sha256 else { throw BundleError.checksumMismatch(file: path, name: b.name) }
            if !allowNonFinite, let info = info(b.name), info.dtype.isFloatingPoint {
                try withBytes(b.name) { try NonFinite.check($0, dtype: info.dtype, tensor: b.name, file: path, allow: false) }
            }
            progress(i + 1, all.count)
        }
    }

    /// The embedded config files, for ConfigLoader.
    public func configFiles() -> MemoryConfigSource {
        MemoryConfigSource(container: path, files: Dictionary(uniqueKeysWithValues: files.map { ($0.name, Array(mapped.slice($0.range))) }))
    }
}
