import CZstd

/// zstd compression of blobs (libzstd). Used by the device bundle for transport compression.
public enum ZstdCodec {
    public struct ZstdError: Error, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { "zstd: \(message)" }
    }

    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }

    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 3) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { dst in
            ZSTD_compress(dst.baseAddress, bound, input.baseAddress, input.count, level)
        }
        if ZSTD_isError(n) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(n))) }
        out.removeSubrange(n...)
        return out
    }

    public static func compress(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, level: level) }
    }

    /// The decompressed size a frame's header declares, or nil when it does not say or is not a frame.
    public static func declaredSize(_ input: UnsafeRawBufferPointer) -> UInt64? {
        let n = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        // ZSTD_CONTENTSIZE_UNKNOWN = 0ULL - 1, ZSTD_CONTENTSIZE_ERROR = 0ULL - 2
        return n >= UInt64.max - 1 ? nil : n
    }

    /// Decompresses a frame whose decompressed size is known in advance (the bundle records it);
    /// a frame that decodes to any other size is an error.
    public static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedSize)
        let n = out.withUnsafeMutableBytes { dst in
            ZSTD_decompress(dst.baseAddress, expectedSize, input.baseAddress, input.count)
        }
        if ZSTD_isError(n) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(n))) }
        guard n == expectedSize else {
            throw ZstdError(message: "frame decodes to \(n) bytes, expected \(expectedSize)")
        }
        return out
    }

    public static func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, expectedSize: expectedSize) }
    }
}
