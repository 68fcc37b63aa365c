import Crypto
import Foundation
import Testing
import TestSupport
import ModelGraph
@testable import DeviceBundle

/// A manifest that lies — with a valid checksum — about a compressed blob's size must not make
/// the reader allocate what it claims.
@Suite struct LyingManifestTests {
    @Test func compressedSizeLieIsRefusedOnOpen() throws {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let path = TestFiles.tempDir("lie") + "/m.vlmb"
        var options = BundleWriter.Options()
        options.zstdLevel = 3
        _ = try BundleWriter.write(try .checkpoint(graph), to: path, options: options)
        let b = try DeviceBundleFile(path: path)
        let victim = try #require(b.blobs.values.first { $0.compressed })
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        var header = b.header
        let manifestRange = Int(header.manifestOffset)..<Int(header.manifestOffset + header.manifestLength)
        var manifest = String(decoding: data[manifestRange], as: UTF8.self)
        let needle = "\"name\":\"\(victim.name)\""
        let at = try #require(manifest.range(of: needle))
        let sizeKey = try #require(manifest.range(of: "\"size\":\(victim.size)", range: at.upperBound..<manifest.endIndex))
        manifest.replaceSubrange(sizeKey, with: "\"size\":\(1 << 50)")
        let newManifest = Array(manifest.utf8)
        data.replaceSubrange(manifestRange, with: newManifest)
        header.manifestLength = UInt64(newManifest.count)
        header.fileLength = UInt64(data.count)
        header.manifestSHA256 = Array(SHA256.hash(data: newManifest))
        data.replaceSubrange(0..<BundleHeader.size, with: header.encoded())
        try data.write(to: URL(fileURLWithPath: path))
        #expect { try DeviceBundleFile(path: path) } throws: {
            String(describing: $0).contains("blob '\(victim.name)'")
        }
    }
}
