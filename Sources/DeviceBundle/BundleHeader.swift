/// The fixed 128-byte header at the start of a bundle (formats/bundle.md). Little-endian.
public struct BundleHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("VLMKBNDL".utf8)
    public static let size = 128
    public static let currentVersion: UInt32 = 1
    public static let defaultAlignment = 64

    public var version: UInt32 = currentVersion
    /// Bit 0: at least one blob is zstd-compressed.
    public var flags: UInt32 = 0
    public var manifestOffset: UInt64 = 0
    public var manifestLength: UInt64 = 0
    public var fileLength: UInt64 = 0
    public var alignment: UInt32 = UInt32(defaultAlignment)
    /// SHA-256 of the manifest bytes.
    public var manifestSHA256: [UInt8] = [UInt8](repeating: 0, count: 32)

    public init() {}

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.size)
        b.replaceSubrange(0..<8, with: Self.magic)
        func put<T: FixedWidthInteger>(_ v: T, at o: Int) {
            withUnsafeBytes(of: v.littleEndian) { b.replaceSubrange(o..<(o + MemoryLayout<T>.size), with: $0) }
        }
        put(version, at: 8)
        put(flags, at: 12)
        put(manifestOffset, at: 16)
        put(manifestLength, at: 24)
        put(fileLength, at: 32)
        put(alignment, at: 40)
        b.replaceSubrange(48..<80, with: manifestSHA256)
        return b
    }

    /// Parses the header of `bytes` (the whole file), checking what can be checked without the manifest.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> BundleHeader {
        guard bytes.count >= size else { throw BundleError.truncated(file: file, size: bytes.count) }
        guard Array(bytes[0..<8]) == magic else { throw BundleError.badMagic(file: file) }
        func get<T: FixedWidthInteger>(_ o: Int, _: T.Type) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: T.self)) }
        var h = BundleHeader()
        h.version = get(8, UInt32.self)
        guard h.version == currentVersion else { throw BundleError.unsupportedVersion(file: file, version: h.version) }
        h.flags = get(12, UInt32.self)
        h.manifestOffset = get(16, UInt64.self)
        h.manifestLength = get(24, UInt64.self)
        h.fileLength = get(32, UInt64.self)
        h.alignment = get(40, UInt32.self)
        h.manifestSHA256 = Array(bytes[48..<80])
        guard h.flags & ~1 == 0 else {
            throw BundleError.badHeader(file: file, detail: "unknown flag bits 0x\(String(h.flags & ~1, radix: 16)) are set (only bit 0, zstd, is defined)")
        }
        for (range, name) in [(44..<48, "44…47"), (80..<128, "80…127")] where bytes[range].contains(where: { $0 != 0 }) {
            throw BundleError.badHeader(file: file, detail: "reserved bytes \(name) are not zero")
        }
        guard h.fileLength == UInt64(bytes.count) else {
            throw BundleError.lengthMismatch(file: file, recorded: h.fileLength, actual: bytes.count)
        }
        guard h.alignment >= 8, h.alignment <= 1 << 16, h.alignment & (h.alignment - 1) == 0 else {
            throw BundleError.badHeader(file: file, detail: "alignment \(h.alignment) is not a power of two between 8 and 65536")
        }
        let end = h.manifestOffset.addingReportingOverflow(h.manifestLength)
        guard h.manifestOffset >= UInt64(size), !end.overflow, end.partialValue <= h.fileLength else {
            throw BundleError.badHeader(file: file, detail: "manifest range [\(h.manifestOffset), +\(h.manifestLength)) lies outside the file")
        }
        guard h.manifestOffset % UInt64(h.alignment) == 0 else {
            throw BundleError.badHeader(file: file, detail: "manifest offset \(h.manifestOffset) is not a multiple of the alignment \(h.alignment)")
        }
        return h
    }
}

/// Everything that can be wrong with a bundle; each names the file and, where there is one, the blob.
public enum BundleError: Error, CustomStringConvertible, Equatable {
    case truncated(file: String, size: Int)
    case badMagic(file: String)
    case unsupportedVersion(file: String, version: UInt32)
    case lengthMismatch(file: String, recorded: UInt64, actual: Int)
    case badHeader(file: String, detail: String)
    case manifestChecksum(file: String)
    case badManifest(file: String, detail: String)
    case badEntry(file: String, name: String, detail: String)
    case checksumMismatch(file: String, name: String)
    case decompression(file: String, name: String, detail: String)

    public var description: String {
        switch self {
        case let .truncated(f, s): return "\(f): not a VLMKit bundle: \(s) bytes, shorter than the 128-byte header"
        case .badMagic(let f): return "\(f): not a VLMKit bundle (bad magic)"
        case let .unsupportedVersion(f, v): return "\(f): bundle format version \(v) is not supported (this vlmkit reads version \(BundleHeader.currentVersion))"
        case let .lengthMismatch(f, r, a): return "\(f): header records \(r) bytes but the file has \(a) (truncated or appended to)"
        case let .badHeader(f, d): return "\(f): bad header: \(d)"
        case .manifestChecksum(let f): return "\(f): manifest checksum mismatch (the manifest is corrupted)"
        case let .badManifest(f, d): return "\(f): bad manifest: \(d)"
        case let .badEntry(f, n, d): return "\(f): blob '\(n)': \(d)"
        case let .checksumMismatch(f, n): return "\(f): blob '\(n)': checksum mismatch (corrupted)"
        case let .decompression(f, n, d): return "\(f): blob '\(n)': \(d)"
        }
    }
}
