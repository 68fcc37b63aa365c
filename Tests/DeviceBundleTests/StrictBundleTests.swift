import Crypto
import Foundation
import Testing
import TestSupport
import ModelGraph
@testable import DeviceBundle

/// What formats/bundle.md calls an error is refused on open, even with a valid manifest checksum.
@Suite struct StrictBundleTests {
    /// A fresh bundle of the tiny model, its bytes, and its manifest as text.
    static func bundle(zstd: Int32? = nil) throws -> (path: String, data: Data, header: BundleHeader, manifest: String) {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let path = TestFiles.tempDir("strict") + "/m.vlmb"
        var options = BundleWriter.Options()
        options.zstdLevel = zstd
        _ = try BundleWriter.write(try .checkpoint(graph), to: path, options: options)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = try DeviceBundleFile(path: path).header
        let range = Int(header.manifestOffset)..<Int(header.manifestOffset + header.manifestLength)
        return (path, data, header, String(decoding: data[range], as: UTF8.self))
    }

    /// Writes `manifest` in place of the old one (at `offset`, padded), with a matching header.
    static func rewrite(_ b: (path: String, data: Data, header: BundleHeader, manifest: String), manifest: String? = nil,
                        shift: Int = 0, edit: (inout BundleHeader) -> Void = { _ in }) throws {
        var data = b.data.prefix(Int(b.header.manifestOffset))
        data += Data(repeating: 0, count: shift)
        var header = b.header
        let m = Array((manifest ?? b.manifest).utf8)
        header.manifestOffset = UInt64(data.count)
        header.manifestLength = UInt64(m.count)
        data += m
        header.fileLength = UInt64(data.count)
        header.manifestSHA256 = Array(SHA256.hash(data: m))
        edit(&header)
        var bytes = Data(header.encoded())
        bytes += data.dropFirst(BundleHeader.size)
        try bytes.write(to: URL(fileURLWithPath: b.path))
    }

    static func refused(_ path: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { try DeviceBundleFile(path: path) } throws: { e in
            let ok = String(describing: e).contains(text)
            if !ok { Issue.record("got: \(e)", sourceLocation: sourceLocation) }
            return ok
        }
    }

    @Test func untouchedBundleOpens() throws {
        let b = try Self.bundle()
        try Self.rewrite(b)
        _ = try DeviceBundleFile(path: b.path)
    }

    @Test func reservedHeaderBytesAndUnknownFlagsAreRefused() throws {
        let b = try Self.bundle()
        try Self.rewrite(b) { $0.flags = 0b110 }
        Self.refused(b.path, "unknown flag bits 0x6 are set")
        try Self.rewrite(b)
        var raw = try Data(contentsOf: URL(fileURLWithPath: b.path))
        raw[100] = 7
        try raw.write(to: URL(fileURLWithPath: b.path))
        Self.refused(b.path, "reserved bytes 80…127 are not zero")
        raw[100] = 0
        raw[45] = 1
        try raw.write(to: URL(fileURLWithPath: b.path))
        Self.refused(b.path, "reserved bytes 44…47 are not zero")
    }

    @Test func flagsMustAgreeWithTheBlobs() throws {
        let plain = try Self.bundle()
        try Self.rewrite(plain) { $0.flags = 1 }
        Self.refused(plain.path, "flags say some blob is zstd-compressed, but the manifest has none")
        let packed = try Self.bundle(zstd: 3)
        try Self.rewrite(packed) { $0.flags = 0 }
        Self.refused(packed.path, "flags say no blob is zstd-compressed, but the manifest has compressed blobs")
    }

    @Test func manifestMustBeAligned() throws {
        let b = try Self.bundle()
        try Self.rewrite(b, shift: 8)
        Self.refused(b.path, "manifest offset \(b.header.manifestOffset + 8) is not a multiple of the alignment 64")
    }

    @Test func sha256MustBeSixtyFourHexDigits() throws {
        let b = try Self.bundle()
        let m = b.manifest.replacing(#/"sha256":"[0-9a-f]{64}"/#, maxReplacements: 1) { _ in "\"sha256\":\"" + String(repeating: "z", count: 64) + "\"" }
        try Self.rewrite(b, manifest: m)
        Self.refused(b.path, "sha256 must be 64 lowercase hex digits")
    }

    @Test func manifestWithoutTensorsIsRefused() throws {
        let b = try Self.bundle()
        let m = b.manifest.replacingOccurrences(of: "\"tensors\":", with: "\"tensorz\":")
        try Self.rewrite(b, manifest: m)
        Self.refused(b.path, "bad manifest: \"tensors\" is missing")
    }

    @Test func hugeRankIsRefused() throws {
        let b = try Self.bundle()
        let m = b.manifest.replacing(#/"shape":\[512,64\]/#, maxReplacements: 1) { _ in
            "\"shape\":[" + Array(repeating: "1", count: 1_000_001).joined(separator: ",") + "]"
        }
        #expect(m != b.manifest)
        try Self.rewrite(b, manifest: m)
        Self.refused(b.path, "shape must be an array of at most 8 dimensions")
    }

    @Test func fileListedTwiceIsRefused() throws {
        let b = try Self.bundle()
        // File entries are {"path": …, "offset": …}; the source's path has no offset after it.
        let first = try #require(b.manifest.firstMatch(of: #/"path":"([^"]+)","offset"/#))
        var seen = 0
        let m = b.manifest.replacing(#/"path":"[^"]+","offset"/#) { match in
            seen += 1
            return seen == 2 ? Substring("\"path\":\"\(first.1)\",\"offset\"") : match.0
        }
        #expect(seen >= 2)
        try Self.rewrite(b, manifest: m)
        Self.refused(b.path, "file listed twice")
    }

    @Test func canonicallyEqualTensorNamesAreRefused() throws {
        let b = try Self.bundle()
        var m = b.manifest.replacingOccurrences(of: "\"name\":\"llm.norm.weight\"", with: "\"name\":\"\\u00e9\"")
        m = m.replacingOccurrences(of: "\"name\":\"llm.embed_tokens.weight\"", with: "\"name\":\"e\\u0301\"")
        try Self.rewrite(b, manifest: m)
        Self.refused(b.path, "differ only in Unicode normalization")
    }

    @Test(arguments: ["../../../etc/passwd", "/abs", "a//b", "a/./b", "tab\tname"])
    func pathLikeNamesAreRefused(_ name: String) throws {
        let b = try Self.bundle()
        let escaped = name.replacingOccurrences(of: "\t", with: "\\t")
        let m = b.manifest.replacingOccurrences(of: "\"name\":\"llm.norm.weight\"", with: "\"name\":\"\(escaped)\"")
        #expect(m != b.manifest)
        try Self.rewrite(b, manifest: m)
        Self.refused(b.path, "tensor name")
    }
}
