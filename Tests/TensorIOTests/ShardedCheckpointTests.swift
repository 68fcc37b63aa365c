import TestSupport
import Foundation
import Testing
@testable import TensorIO

@Suite struct ShardedCheckpointTests {
    /// Two shards a.safetensors {x} and b.safetensors {y}, plus an index written from `weightMap`.
    func folder(weightMap: String) -> String {
        let dir = TestFiles.tempDir("shard")
        _ = TestFiles.safetensors(header: #"{"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}"#, data: [1], in: dir, name: "a.safetensors")
        _ = TestFiles.safetensors(header: #"{"y": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}"#, data: [2], in: dir, name: "b.safetensors")
        TestFiles.write(Array(#"{"metadata": {"total_size": 2}, "weight_map": \#(weightMap)}"#.utf8), to: dir + "/model.safetensors.index.json")
        return dir
    }

    @Test func readsTensorsAcrossShards() throws {
        let dir = folder(weightMap: #"{"x": "a.safetensors", "y": "b.safetensors"}"#)
        let store = try CheckpointFiles.open(dir)
        #expect(store.tensorNames == ["x", "y"])
        #expect(try store.withBytes("y") { $0.first } == 2)
    }

    func error(_ weightMap: String) -> String {
        let dir = folder(weightMap: weightMap)
        do { _ = try CheckpointFiles.open(dir); return "no error" } catch { return String(describing: error) }
    }

    @Test func indexNamingAMissingShard() {
        #expect(error(#"{"x": "a.safetensors", "y": "c.safetensors"}"#).contains("shard file 'c.safetensors' (for tensor 'y') does not exist"))
    }

    @Test func tensorNotInItsShard() {
        #expect(error(#"{"x": "b.safetensors", "y": "b.safetensors"}"#).contains("tensor 'x' is mapped to 'b.safetensors' but that shard does not contain it"))
    }

    @Test func shardHoldingATensorTheIndexDoesNotList() {
        #expect(error(#"{"x": "a.safetensors"}"#).contains("no tensor") == false)
        // b.safetensors is never opened here, so this index is complete; list y in a's place instead:
        #expect(error(#"{"x": "a.safetensors", "y": "b.safetensors", "z": "a.safetensors"}"#).contains("tensor 'z' is mapped to 'a.safetensors'"))
    }

    @Test func shardNamesCannotLeaveTheFolder() {
        #expect(error(#"{"x": "../a.safetensors"}"#).contains("must be a file name in the same folder"))
        #expect(error(#"{"x": 3}"#).contains("must be a file name, found integer"))
    }

    @Test func indexWithoutWeightMapOrNotJSON() throws {
        let dir = TestFiles.tempDir("shard")
        TestFiles.write(Array(#"{"metadata": {}}"#.utf8), to: dir + "/model.safetensors.index.json")
        #expect { try CheckpointFiles.open(dir) } throws: { String(describing: $0).contains("missing object \"weight_map\"") }
        TestFiles.write(Array("{".utf8), to: dir + "/model.safetensors.index.json")
        #expect { try CheckpointFiles.open(dir) } throws: { String(describing: $0).contains("model.safetensors.index.json: invalid JSON") }
    }

    @Test func extraTensorInAnOpenedShardIsAnError() throws {
        let dir = TestFiles.tempDir("shard")
        _ = TestFiles.safetensors(header: #"{"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "extra": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}"#,
                                  data: [1, 2], in: dir, name: "a.safetensors")
        TestFiles.write(Array(#"{"weight_map": {"x": "a.safetensors"}}"#.utf8), to: dir + "/model.safetensors.index.json")
        #expect { try CheckpointFiles.open(dir) } throws: {
            String(describing: $0).contains("shard 'a.safetensors' contains tensor 'extra' which the index does not list")
        }
    }

    @Test func folderWithoutWeights() {
        let dir = TestFiles.tempDir("empty")
        #expect { try CheckpointFiles.open(dir) } throws: { String(describing: $0).contains("no model.safetensors") }
    }
}
