import Foundation
import Testing
import TestSupport
import TensorIO
import ModelGraph
@testable import DeviceBundle

/// The uncompressed blobs are stored by several threads at offsets fixed beforehand: the file may
/// not depend on the thread count, and errors must be the ones a sequential writer meets first.
@Suite struct BlobStoreTests {
    func input(replacing replace: [String: [UInt16]] = [:], slow: String? = nil) throws -> BundleInput {
        let graph = try ModelLoader.load(TestFiles.golden("models/vila-clip-linear-f16"))
        let good = try BundleInput.checkpoint(graph)
        let tensors = good.tensors.map { t -> BundleInput.TensorEntry in
            guard let values = replace[t.name] else { return t }
            let pause = t.name == slow
            return .init(name: t.name, dtype: .f16, shape: [values.count], origin: t.origin) { body in
                if pause { usleep(30_000) }  // lets another thread claim, and fail on, a later blob meanwhile
                try values.withUnsafeBytes(body)
            }
        }
        return BundleInput(sourcePath: good.sourcePath, sourceKind: good.sourceKind, layout: good.layout, config: good.config,
                           files: good.files, tensors: tensors, quantization: good.quantization)
    }

    func write(_ input: BundleInput, threads: Int) throws -> [UInt8] {
        let path = TestFiles.tempDir("blob") + "/t\(threads).vlmb"
        var options = BundleWriter.Options()
        options.threads = threads
        _ = try BundleWriter.write(input, to: path, options: options)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func fileIsTheSameForAnyThreadCount() throws {
        let m = try input()
        let one = try write(m, threads: 1)
        for threads in [2, 3, 7] { #expect(try write(m, threads: threads) == one, "\(threads) threads") }
        let path = TestFiles.tempDir("blob") + "/check.vlmb"
        try Data(one).write(to: URL(fileURLWithPath: path))
        try DeviceBundleFile(path: path).verifyBlobs()
    }

    /// A blob longer than one piece: the element index of a NaN in a later piece counts from the
    /// blob's start, and the hash covers every piece (the blob verifies when NaN is allowed).
    @Test func nanInALaterPieceIsNamedByItsIndexInTheBlob() throws {
        let count = BlobStore.pieceBytes / 2 * 2 + 777
        var values = [UInt16](repeating: 0x3C00, count: count)
        let bad = BlobStore.pieceBytes / 2 + 12345
        values[bad] = 0xFC00
        let m = try input(replacing: ["extra.big": values])
        let entry = BundleInput.TensorEntry(name: "extra.big", dtype: .f16, shape: [count], origin: "test") { body in
            try values.withUnsafeBytes(body)
        }
        let withBig = BundleInput(sourcePath: m.sourcePath, sourceKind: m.sourceKind, layout: m.layout, config: m.config,
                                  files: m.files, tensors: m.tensors + [entry], quantization: m.quantization)
        #expect { _ = try write(withBig, threads: 2) } throws: {
            ($0 as? NonFiniteWeight) == NonFiniteWeight(tensor: "extra.big", file: "test", index: bad, value: -.infinity)
        }
        let path = TestFiles.tempDir("blob") + "/big.vlmb"
        var options = BundleWriter.Options()
        options.allowNonFinite = true
        _ = try BundleWriter.write(withBig, to: path, options: options)
        try DeviceBundleFile(path: path).verifyBlobs(allowNonFinite: true)
    }

    /// Two bad blobs, the first one slow to read: whatever the threads' timing, the first one's
    /// error is the one thrown.
    @Test func theFirstBadBlobIsTheErrorForAnyThreadCount() throws {
        var nan = [UInt16](repeating: 0x3C00, count: 64)
        nan[7] = 0x7E00
        let names = try input().tensors.map(\.name)
        let first = names[names.count / 3], second = names[names.count / 3 + 1]
        let m = try input(replacing: [first: nan, second: nan], slow: first)
        for threads in [1, 2, 4] {
            for _ in 0..<5 {
                #expect { _ = try write(m, threads: threads) } throws: { ($0 as? NonFiniteWeight)?.tensor == first }
            }
        }
    }
}
