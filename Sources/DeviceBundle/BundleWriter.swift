import Crypto
import Foundation
import TensorCore
import TensorIO

/// Writes a bundle in one pass with memory bounded by the largest tensor: header placeholder,
/// blobs (each aligned, hashed, optionally zstd-compressed), manifest, then the header filled
/// in. The file is written under a temporary name and renamed at the end.
public enum BundleWriter {
    public struct Options: Sendable {
        /// zstd level for blobs, or nil to store them uncompressed (usable in place).
        public var zstdLevel: Int32? = nil
        public var alignment = BundleHeader.defaultAlignment
        public var toolVersion = "vlmkit"
        /// Accept NaN/Inf in float tensors (weights, scales); by default the first one is an error.
        public var allowNonFinite = false
        /// Threads storing uncompressed blobs (nil: one per core). The file is the same for any count.
        public var threads: Int? = nil
        public init() {}
    }

    public struct Summary: Sendable, Encodable {
        public let path: String
        public let fileBytes: Int
        public let tensors: Int
        public let files: Int
        public let compressedBlobs: Int
        public let rawTensorBytes: Int
        public let storedTensorBytes: Int
    }

    public static func write(_ input: BundleInput, to path: String, options: Options = Options(),
                             progress: @escaping (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let align = options.alignment
        let payload = input.files.reduce(0) { $0 + $1.bytes.count + align }
            + input.tensors.reduce(0) { $0 + ($1.shape.checkedByteCount($1.dtype) ?? 0) + align }
        try FileSystem.requireSpace(payload + BundleHeader.size + (1 << 20), for: path)
        let out = try AtomicFileWriter(path: path)
        try out.write([UInt8](repeating: 0, count: BundleHeader.size))

        func pad() throws {
            let rem = out.bytesWritten % align
            if rem != 0 { try out.write([UInt8](repeating: 0, count: align - rem)) }
        }
        func hex(_ d: SHA256.Digest) -> String { d.map { String(format: "%02x", $0) }.joined() }

        var fileEntries: [JSONValue] = []
        for f in input.files {
            try pad()
            let offset = out.bytesWritten
            try out.write(f.bytes)
            fileEntries.append(.object([
                ("path", .string(f.path)), ("offset", .int(Int64(offset))), ("length", .int(Int64(f.bytes.count))),
                ("sha256", .string(hex(SHA256.hash(data: f.bytes)))),
            ]))
        }

        var tensorEntries: [JSONValue] = []
        var compressed = 0, raw = 0, stored = 0
        func entry(_ t: BundleInput.TensorEntry, offset: Int, length: Int, size: Int, zstd: Bool, digest: SHA256.Digest) {
            raw += size
            stored += length
            if zstd { compressed += 1 }
            tensorEntries.append(.object([
                ("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)),
                ("shape", .array(t.shape.dims.map { .int(Int64($0)) })),
                ("offset", .int(Int64(offset))), ("length", .int(Int64(length))), ("size", .int(Int64(size))),
                ("compression", .string(zstd ? "zstd" : "none")), ("sha256", .string(hex(digest))),
            ]))
        }
        do {
            if let level = options.zstdLevel {
                try writeCompressible(input.tensors, level: level, out: out, path: path, options: options, pad: pad,
                                      entry: entry, progress: progress)
            } else {
                let placed = try BlobStore.layout(input.tensors, from: out.bytesWritten, alignment: align, file: path)
                let digests = try BlobStore.storeAll(input.tensors, at: placed.offsets, out: out, file: path,
                                                     allowNonFinite: options.allowNonFinite,
                                                     workers: options.threads ?? ProcessInfo.processInfo.activeProcessorCount, progress: progress)
                try out.seek(to: placed.end)
                for (i, t) in input.tensors.enumerated() {
                    let size = t.shape.checkedByteCount(t.dtype)!
                    entry(t, offset: placed.offsets[i], length: size, size: size, zstd: false, digest: digests[i])
                }
            }
        } catch {
            out.abandon()
            throw error
        }

        let manifest = JSONValue.object([
            ("format", .string("vlmkit-bundle")), ("version", .int(Int64(BundleHeader.currentVersion))),
            ("tool", .string(options.toolVersion)),
            ("source", .object([("path", .string(input.sourcePath)), ("kind", .string(input.sourceKind)),
                                ("config_sha256", .string(input.files.first { $0.path == "config.json" }.map { hex(SHA256.hash(data: $0.bytes)) } ?? ""))])),
            ("layout", .string(input.layout.rawValue)),
            ("model", BundleModelInfo.describe(input.config)),
            ("preprocessor", preprocessor(input)),
            ("tokenizer", .array(input.files.filter { $0.path.contains("tokenizer") || $0.path.hasSuffix("special_tokens_map.json") }.map { .string($0.path) })),
            ("alignment", .int(Int64(align))),
            ("files", .array(fileEntries)),
            ("tensors", .array(tensorEntries)),
            ("quantization", .object(input.quantization)),
        ])
        let manifestBytes = Array(manifest.serialized.utf8)
        try pad()
        var header = BundleHeader()
        header.flags = compressed > 0 ? 1 : 0
        header.manifestOffset = UInt64(out.bytesWritten)
        header.manifestLength = UInt64(manifestBytes.count)
        header.alignment = UInt32(align)
        header.manifestSHA256 = Array(SHA256.hash(data: manifestBytes))
        try out.write(manifestBytes)
        header.fileLength = UInt64(out.bytesWritten)
        try out.overwrite(header.encoded(), at: 0)
        try out.commit()
        return Summary(path: path, fileBytes: Int(header.fileLength), tensors: input.tensors.count, files: input.files.count,
                       compressedBlobs: compressed, rawTensorBytes: raw, storedTensorBytes: stored)
    }

    /// The zstd path, one blob after another: each blob compressed and stored compressed when
    /// that is smaller, otherwise stored as it is.
    static func writeCompressible(_ tensors: [BundleInput.TensorEntry], level: Int32, out: AtomicFileWriter, path: String,
                                  options: Options, pad: () throws -> Void,
                                  entry: (BundleInput.TensorEntry, Int, Int, Int, Bool, SHA256.Digest) -> Void,
                                  progress: (Int, Int) -> Void) throws {
        for (i, t) in tensors.enumerated() {
            try t.withBytes { bytes in
                guard let expected = t.shape.checkedByteCount(t.dtype), expected == bytes.count else {
                    throw BundleError.badEntry(file: path, name: t.name, detail: "\(bytes.count) bytes do not hold \(t.dtype.rawValue) \(t.shape)")
                }
                let z = bytes.isEmpty ? nil : try ZstdCodec.compress(bytes, level: level)
                try pad()
                let offset = out.bytesWritten
                if let z, z.count < bytes.count {
                    try NonFinite.check(bytes, dtype: t.dtype, tensor: t.originName ?? t.name, file: t.origin, allow: options.allowNonFinite)
                    try out.write(z)
                    entry(t, offset, z.count, bytes.count, true, SHA256.hash(data: z))
                } else {
                    let digest = try BlobStore.store(bytes, t, at: offset, out: out, allowNonFinite: options.allowNonFinite)
                    try out.seek(to: offset + bytes.count)
                    entry(t, offset, bytes.count, bytes.count, false, digest)
                }
            }
            progress(i + 1, tensors.count)
        }
    }

    /// The image preprocessing parameters, as the checkpoint's preprocessor_config.json gives them.
    static func preprocessor(_ input: BundleInput) -> JSONValue {
        guard let f = input.files.first(where: { $0.path.hasSuffix("preprocessor_config.json") }),
              let v = try? JSONParser.parse(f.bytes) else { return .null }
        return v
    }
}
