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
        let total = input.tensors.count
        for (i, t) in input.tensors.enumerated() {
            let bytes = try t.bytes()
            guard let expected = t.shape.checkedByteCount(t.dtype), expected == bytes.count else {
                out.abandon()
                throw BundleError.badEntry(file: path, name: t.name, detail: "\(bytes.count) bytes do not hold \(t.dtype.rawValue) \(t.shape)")
            }
            do {
                try bytes.withUnsafeBytes {
                    try NonFinite.check($0, dtype: t.dtype, tensor: t.originName ?? t.name, file: t.origin, allow: options.allowNonFinite)
                }
            } catch {
                out.abandon()
                throw error
            }
            var blob = bytes
            var compression = "none"
            if let level = options.zstdLevel, !bytes.isEmpty {
                let packed = try ZstdCodec.compress(bytes, level: level)
                if packed.count < bytes.count {
                    blob = packed
                    compression = "zstd"
                    compressed += 1
                }
            }
            try pad()
            let offset = out.bytesWritten
            try out.write(blob)
            raw += bytes.count
            stored += blob.count
            tensorEntries.append(.object([
                ("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)),
                ("shape", .array(t.shape.dims.map { .int(Int64($0)) })),
                ("offset", .int(Int64(offset))), ("length", .int(Int64(blob.count))), ("size", .int(Int64(bytes.count))),
                ("compression", .string(compression)), ("sha256", .string(hex(SHA256.hash(data: blob)))),
            ]))
            progress(i + 1, total)
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

    /// The image preprocessing parameters, as the checkpoint's preprocessor_config.json gives them.
    static func preprocessor(_ input: BundleInput) -> JSONValue {
        guard let f = input.files.first(where: { $0.path.hasSuffix("preprocessor_config.json") }),
              let v = try? JSONParser.parse(f.bytes) else { return .null }
        return v
    }
}
