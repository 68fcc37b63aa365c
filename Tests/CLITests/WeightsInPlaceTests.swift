import Foundation
import TestSupport
import Testing

/// Weights are used in place from the mapped files (formats/quantization.md, "Execution"): after
/// decoding, the process's anonymous memory is activations, KV cache and work buffers, far less
/// than the weights. Copying the model onto the heap (as `HalfLinear`/`QuantizedMatrix` once
/// did) puts at least its whole size there, and fails these bounds.
@Suite(.serialized) struct WeightsInPlaceTests {
    static func anonymousAfterDecode(_ model: String) throws -> (anon: Int, file: Int) {
        let r = try CLIRunner.run(["bench", model, "--images", "1", "--prompt-tokens", "16", "--decode-tokens", "4", "--json", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let m = try #require(o["memory"] as? [String: Any])
        return (try #require(m["rss_anon_bytes"] as? Int), try #require(m["rss_file_bytes"] as? Int))
    }

    static func weightBytes(_ folder: String) throws -> Int {
        let files = FileManager.default.enumerator(atPath: folder)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".safetensors") }
        return try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: folder + "/" + $1)[.size] as? Int) ?? 0) }
    }

    @Test func f16CheckpointAndQuantizedFoldersAreNotCopiedOntoTheHeap() throws {
        let dir = TestFiles.tempDir("inplace")
        let model = dir + "/small"
        #expect(try CLIRunner.run(["synthesize", "--preset", "small", "-o", model]).status == 0)
        var folders = [model]
        for scheme in [["int8"], ["int4", "-g", "32"]] {
            let q = dir + "/q-" + scheme[0]
            #expect(try CLIRunner.run(["quantize", model, "-o", q, "--scheme"] + scheme).status == 0)
            folders.append(q)
        }
        for folder in folders {
            let size = try Self.weightBytes(folder)
            let m = try Self.anonymousAfterDecode(folder)
            // 0.25 × the weights + 16 MiB of runtime: a heap copy of the weights alone is 1 ×.
            #expect(m.anon < size / 4 + 16 << 20, "\(folder): anonymous \(m.anon) B for \(size) B of weights")
            // The weights were read from the mapping (file-backed pages), not from somewhere else.
            #expect(m.file > size / 2, "\(folder): only \(m.file) B file-backed for \(size) B of weights")
        }
    }
}
