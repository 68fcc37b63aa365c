import TestSupport
import Foundation
import Testing
import TensorIO
@testable import ModelGraph

@Suite struct SyntheticCheckpointTests {
    @Test func tinyPresetLoadsCompletelyAndIsDeterministic() throws {
        let preset = SyntheticCheckpoint.presets.first { $0.name == "tiny" }!
        let a = TestFiles.tempDir("syn") + "/a", b = TestFiles.tempDir("syn") + "/b"
        _ = try SyntheticCheckpoint.write(preset, to: a, shardBytes: 200_000)
        _ = try SyntheticCheckpoint.write(preset, to: b, shardBytes: 200_000)
        let g = try ModelLoader.load(a)
        #expect(try CheckpointFiles.open(a + "/llm") is ShardedCheckpoint)
        #expect(g.config.llm.hiddenSize == 128 && g.config.llm.gqaRatio == 2)
        #expect(g.ignored.isEmpty)
        let files = try FileManager.default.subpathsOfDirectory(atPath: a).sorted()
        #expect(files == (try FileManager.default.subpathsOfDirectory(atPath: b).sorted()))
        for f in files where f.hasSuffix(".safetensors") {
            #expect(FileManager.default.contentsEqual(atPath: a + "/" + f, andPath: b + "/" + f), "\(f)")
        }
        // Norm scales are 1, weights are bounded by 1/√fan_in.
        #expect(try g.llm.norm.float32().data.allSatisfy { $0 == 1 })
        let q = try g.llm.layers[0].q.weight.float32().data
        #expect(q.allSatisfy { abs($0) <= 1 / Float(128).squareRoot() + 1e-3 } && Set(q).count > 100)
    }
}
