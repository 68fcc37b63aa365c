/// Why a `torch.save` file cannot be read. Every case names the file.
public struct TorchFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let detail: String
    public init(_ file: String, _ detail: String) {
        self.file = file
        self.detail = detail
    }
    public var description: String { "\(file): \(detail)" }
}

/// The entries of a ZIP archive as `torch.save` writes it (PyTorch ≥ 1.6): every entry stored
/// uncompressed, so each is a byte range of the file, used in place. Read from the central
/// directory (ZIP64 records included, for files past 4 GiB); each entry's local header must agree
/// with it. Compressed, encrypted or multi-disk archives are refused.
public struct ZipArchive {
    public struct Entry: Equatable {
        public let name: String
        /// The entry's data within the file.
        public let range: Range<Int>
        public let crc32: UInt32
    }

    public let entries: [Entry]
    public let byName: [String: Entry]

    public init(_ b: UnsafeRawBufferPointer, file: String) throws {
        func fail(_ d: String) -> TorchFileError { TorchFileError(file, d) }
        func u16(_ o: Int) throws -> Int {
            guard o >= 0, o + 2 <= b.count else { throw fail("the ZIP structure points past the end of the file") }
            return Int(b[o]) | Int(b[o + 1]) << 8
        }
        func u32(_ o: Int) throws -> Int {
            let lo = try u16(o), hi = try u16(o + 2)
            return lo | hi << 16
        }
        func u64(_ o: Int) throws -> Int {
            let lo = try u32(o), hi = try u32(o + 4)
            guard hi < 1 << 30 else { throw fail("a ZIP64 size or offset is absurdly large") }
            return lo | hi << 32
        }
        // End of central directory: 22 bytes plus a comment of up to 65535, at the end.
        var eocd = -1
        var o = b.count - 22
        while o >= max(0, b.count - 22 - 65535) {
            if try u32(o) == 0x0605_4B50 { eocd = o; break }
            o -= 1
        }
        guard eocd >= 0 else { throw fail("no ZIP end-of-central-directory record: not a torch.save archive, or truncated") }
        var count = try u16(eocd + 10), dirSize = try u32(eocd + 12), dirOffset = try u32(eocd + 16)
        guard try u16(eocd + 4) == 0, try u16(eocd + 6) == 0 else { throw fail("multi-disk ZIP archives are not supported") }
        if eocd >= 20, try u32(eocd - 20) == 0x0706_4B50 {
            let z = try u64(eocd - 20 + 8)
            guard try u32(z) == 0x0606_4B50 else { throw fail("the ZIP64 locator points at no ZIP64 end-of-central-directory record") }
            count = try u64(z + 32)
            dirSize = try u64(z + 40)
            dirOffset = try u64(z + 48)
        }
        guard dirOffset >= 0, dirSize >= 0, dirOffset + dirSize <= b.count, count <= dirSize / 46 + 1 else {
            throw fail("the ZIP central directory (\(count) entries at \(dirOffset), \(dirSize) bytes) lies outside the file")
        }
        var out: [Entry] = [], seen: [String: Entry] = [:]
        var p = dirOffset
        for _ in 0..<count {
            guard try u32(p) == 0x0201_4B50 else { throw fail("a ZIP central-directory entry has a bad signature at \(p)") }
            let flags = try u16(p + 8), method = try u16(p + 10)
            let crc = UInt32(try u32(p + 16))
            var compressed = try u32(p + 20), size = try u32(p + 24)
            let nameLength = try u16(p + 28), extraLength = try u16(p + 30), commentLength = try u16(p + 32)
            var local = try u32(p + 42)
            guard p + 46 + nameLength <= b.count else { throw fail("a ZIP entry name runs past the end of the file") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
            // ZIP64 extra field (id 1): the 64-bit values of the fields that read 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = try u16(e), len = try u16(e + 2)
                if id == 1 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF { size = try u64(q); q += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(q); q += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(q) }
                }
                e += 4 + len
            }
            guard flags & 1 == 0 else { throw fail("ZIP entry \(name) is encrypted") }
            guard method == 0 else { throw fail("ZIP entry \(name) is compressed (method \(method)); torch.save stores entries uncompressed") }
            guard compressed == size else { throw fail("ZIP entry \(name) is stored but its sizes differ (\(compressed) and \(size))") }
            guard try u32(local) == 0x0403_4B50 else { throw fail("ZIP entry \(name): no local header at \(local)") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + size <= b.count else { throw fail("ZIP entry \(name) (\(size) bytes at \(start)) runs past the end of the file") }
            guard seen[name] == nil else { throw fail("ZIP entry \(name) appears twice") }
            let entry = Entry(name: name, range: start..<(start + size), crc32: crc)
            out.append(entry)
            seen[name] = entry
            p = extraEnd + commentLength
        }
        entries = out
        byName = seen
    }
}

/// CRC-32 (IEEE 802.3, as ZIP uses it), table-driven.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in b { c = t[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}
