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
        do {
            for (i, t) in input.tensors.enumerated() {
                try t.withBytes { bytes in
                    guard let expected = t.shape.checkedByteCount(t.dtype), expected == bytes.count else {
                        throw BundleError.badEntry(file: path, name: t.name, detail: "\(bytes.count) bytes do not hold \(t.dtype.rawValue) \(t.shape)")
                    }
                    var packed: [UInt8]? = nil
                    if let level = options.zstdLevel, !bytes.isEmpty {
                        let z = try ZstdCodec.compress(bytes, level: level)
                        if z.count < bytes.count { packed = z }
                    }
                    try pad()
                    let offset = out.bytesWritten
                    let digest: SHA256.Digest
                    if let packed {
                        try NonFinite.check(bytes, dtype: t.dtype, tensor: t.originName ?? t.name, file: t.origin, allow: options.allowNonFinite)
                        try out.write(packed)
                        digest = SHA256.hash(data: packed)
                        compressed += 1
                    } else {
                        digest = try checkHashAndWrite(bytes, t, out: out, allowNonFinite: options.allowNonFinite)
                    }
                    let length = packed?.count ?? bytes.count
                    raw += bytes.count
                    stored += length
                    tensorEntries.append(.object([
                        ("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)),
                        ("shape", .array(t.shape.dims.map { .int(Int64($0)) })),
                        ("offset", .int(Int64(offset))), ("length", .int(Int64(length))), ("size", .int(Int64(bytes.count))),
                        ("compression", .string(packed == nil ? "none" : "zstd")), ("sha256", .string(hex(digest))),
                    ]))
                }
                progress(i + 1, total)
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

    /// Three passes over one blob at once, each on its own thread, all reading it in place: the
    /// non-finite check, the SHA-256, and the write. The first error wins (the file is then abandoned).
    static func checkHashAndWrite(_ bytes: UnsafeRawBufferPointer, _ t: BundleInput.TensorEntry, out: AtomicFileWriter,
                                  allowNonFinite: Bool) throws -> SHA256.Digest {
        let box = ConcurrentResults()
        let blob = Blob(bytes: bytes, dtype: t.dtype, tensor: t.originName ?? t.name, file: t.origin, out: out, allow: allowNonFinite)
        DispatchQueue.concurrentPerform(iterations: 3) { job in
            do {
                switch job {
                case 0: try NonFinite.check(blob.bytes, dtype: blob.dtype, tensor: blob.tensor, file: blob.file, allow: blob.allow)
                case 1: box.set(digest: SHA256.hash(data: blob.bytes))
                default: try blob.out.write(blob.bytes)
                }
            } catch {
                box.set(error: error, job: job)
            }
        }
        if let e = box.firstError { throw e }
        return box.digest!
    }

    /// What the three jobs read. Unchecked: the bytes are read-only while they run, and only the
    /// write job touches the writer.
    struct Blob: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
        let dtype: DType
        let tensor: String, file: String
        let out: AtomicFileWriter
        let allow: Bool
    }

    /// What the three jobs of checkHashAndWrite leave, under a lock.
    final class ConcurrentResults: @unchecked Sendable {
        private let lock = NSLock()
        private var errors: [(Int, Error)] = []
        private(set) var digest: SHA256.Digest?
        func set(digest d: SHA256.Digest) { lock.lock(); digest = d; lock.unlock() }
        func set(error: Error, job: Int) { lock.lock(); errors.append((job, error)); lock.unlock() }
        /// The error of the lowest-numbered job: the check's before the write's, whatever the timing.
        var firstError: Error? { errors.min { $0.0 < $1.0 }?.1 }
    }

    /// The image preprocessing parameters, as the checkpoint's preprocessor_config.json gives them.
    static func preprocessor(_ input: BundleInput) -> JSONValue {
        guard let f = input.files.first(where: { $0.path.hasSuffix("preprocessor_config.json") }),
              let v = try? JSONParser.parse(f.bytes) else { return .null }
        return v
    }
}
