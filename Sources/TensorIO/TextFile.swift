/// Text inputs given by the user (a text to tokenize, a token-id file, calibration text): read
/// whole, as UTF-8, with errors that name the file and say what is wrong with it.
public enum TextFile {
    public enum ReadError: Error, CustomStringConvertible, Equatable {
        case notUTF8(path: String, offset: Int)

        public var description: String {
            switch self {
            case let .notUTF8(path, offset):
                return "\(path): not UTF-8 text (invalid byte sequence at byte \(offset))"
            }
        }
    }

    /// The file's text. Devices, pipes and folders are refused (`/dev/zero` has no end), as is a
    /// byte sequence that is not UTF-8.
    public static func read(_ path: String) throws -> String {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        if let bad = firstInvalidUTF8(bytes) { throw ReadError.notUTF8(path: path, offset: bad) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    public static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let len: Int, lo: UInt8, hi: UInt8
            switch b {
            case 0xC2...0xDF: (len, lo, hi) = (2, 0x80, 0xBF)
            case 0xE0: (len, lo, hi) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (len, lo, hi) = (3, 0x80, 0xBF)
            case 0xED: (len, lo, hi) = (3, 0x80, 0x9F)
            case 0xF0: (len, lo, hi) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (len, lo, hi) = (4, 0x80, 0xBF)
            case 0xF4: (len, lo, hi) = (4, 0x80, 0x8F)
            default: return i
            }
            guard i + len <= n else { return i }
            guard (lo...hi).contains(bytes[i + 1]) else { return i }
            for j in 2..<len where !(0x80...0xBF).contains(bytes[i + j]) { return i }
            i += len
        }
        return nil
    }
}
