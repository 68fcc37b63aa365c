import Foundation
import TensorCore
import TestSupport
import Testing
@testable import TensorIO

/// torch.save files (golden/torch/, written by torch itself) read without running their pickle:
/// every tensor equals, byte for byte, the copy the safetensors package wrote beside it.
@Suite struct TorchCheckpointTests {
    @Test(arguments: ["plain", "state-dict", "parameters"])
    func tensorsEqualTheSafetensorsCopies(_ name: String) throws {
        let pt = try TorchCheckpoint(path: TestFiles.golden("torch/\(name).pt"))
        try pt.verifyChecksums()
        let expected = try SafetensorsFile(path: TestFiles.golden("torch/\(name).expected.safetensors"))
        #expect(pt.tensorNames == expected.tensorNames)
        for t in expected.tensorNames {
            let a = try #require(pt.info(t)), b = try #require(expected.info(t))
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(name) \(t)")
            #expect(Array(try pt.bytes(t)) == Array(try expected.bytes(t)), "\(name) \(t)")
        }
    }

    @Test func viewsShareTheirStorageInPlace() throws {
        let pt = try TorchCheckpoint(path: TestFiles.golden("torch/state-dict.pt"))
        let rows = try #require(pt.info("rows")), base = try #require(pt.info("base"))
        #expect(rows.byteRange.lowerBound == base.byteRange.lowerBound + 2 * 8 * 2)  // rows 2… of an f16 [10, 8]
        #expect(pt.keepsBytes("rows"))
    }

    @Test func aTransposedTensorIsRefusedWithTheReason() throws {
        #expect { try TorchCheckpoint(path: TestFiles.golden("torch/transposed.pt")) } throws: { e in
            "\(e)".contains("is not contiguous")
        }
    }

    @Test func checksumsCatchDamage() throws {
        let dir = TestFiles.tempDir("pt")
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: TestFiles.golden("torch/plain.pt"))))
        let zip = try bytes.withUnsafeBytes { try ZipArchive($0, file: "p") }
        let storage = try #require(zip.entries.first { $0.name.hasSuffix("/data/0") })
        bytes[storage.range.lowerBound] ^= 0xFF
        TestFiles.write(bytes, to: dir + "/damaged.pt")
        let pt = try TorchCheckpoint(path: dir + "/damaged.pt")  // the pickle is intact
        #expect(throws: TorchFileError.self) { try pt.verifyChecksums() }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        let s = Array("123456789".utf8)
        #expect(s.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }
}
