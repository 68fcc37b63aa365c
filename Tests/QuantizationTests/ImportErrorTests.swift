import Foundation
import Testing
import TestSupport
import ModelGraph
import TensorCore
import TensorIO
@testable import Quantization

/// Imports that must be refused, each with a reason naming what is wrong: the methods and packings
/// VLMKit does not read, and packed tensors that are missing, misshapen or stray.
@Suite struct ImportErrorTests {
    static func copy(_ name: String) -> String {
        let dst = TestFiles.tempDir("imp") + "/" + name
        try! FileManager.default.copyItem(atPath: TestFiles.golden("imported/" + name), toPath: dst)
        return dst
    }

    static func refusal(_ folder: String, weights: String? = nil, group: Int? = nil) -> String {
        do {
            let source = try ImportSource.detect(folder, weights: weights, groupSize: group)
            _ = try source.loadGraph()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    /// Overwrites bytes of one stored tensor, from byte `offset`.
    static func overwrite(_ path: String, tensor: String, at offset: Int, with new: [UInt8]) {
        FixtureEditing.editTensors(path) { n, d, s, b in
            guard n == tensor else { return nil }
            var bytes = b
            bytes.replaceSubrange(offset..<(offset + new.count), with: new)
            return (d, s, bytes)
        }
    }

    static func editConfig(_ folder: String, _ edit: @escaping (inout [String: Any]) -> Void) {
        FixtureEditing.editJSON(folder + "/llm/config.json") { c in
            var q = c["quantization_config"] as! [String: Any]
            edit(&q)
            c["quantization_config"] = q
        }
    }

    @Test func methodsAndPackingsVLMKitDoesNotReadAreRefused() {
        for (edit, says) in [(("quant_method", "bitsandbytes"), "quant_method \"bitsandbytes\""), (("version", "gemv"), "version \"gemv\""),
                             (("bits", 8), "bits is 8"), (("zero_point", false), "zero_point false")] as [((String, Any), String)] {
            let f = Self.copy("autoawq-llama-g128")
            Self.editConfig(f) { $0[edit.0] = edit.1 }
            let r = Self.refusal(f)
            #expect(r.contains(says), "\(r)")
        }
        let g = Self.copy("gptq-qwen2-g32")
        Self.editConfig(g) { $0["checkpoint_format"] = "marlin" }
        #expect(Self.refusal(g).contains("checkpoint_format \"marlin\""))
    }

    @Test func aFloatCheckpointIsNotAnImport() {
        let r = Self.refusal(TestFiles.golden("models/vila-llama-outliers-f16"))
        #expect(r.contains("not a quantized checkpoint"), "\(r)")
    }

    @Test func missingAndMisshapenPackedTensorsAreNamed() {
        let f = Self.copy("autoawq-llama-g128")
        let weights = f + "/llm/model.safetensors"
        FixtureEditing.editTensors(weights, drop: ["model.layers.1.mlp.up_proj.scales"])
        let r = Self.refusal(f)
        #expect(r.contains("model.layers.1.mlp.up_proj.scales"), "\(r)")

        let g = Self.copy("autoawq-llama-g128")
        Self.editConfig(g) { $0["group_size"] = 64 }
        let r2 = Self.refusal(g)
        #expect(r2.contains("scales") && r2.contains("group size 64"), "\(r2)")
    }

    /// A part the format does not have stays a tensor of its own, which the layout does not know.
    @Test func strayPackedPartsAreUnknownTensors() {
        let f = Self.copy("autoawq-llama-g128")
        FixtureEditing.editTensors(f + "/llm/model.safetensors",
                                   add: [("model.layers.0.mlp.up_proj.g_idx", .i32, [256], [UInt8](repeating: 0, count: 1024))])
        #expect(Self.refusal(f).contains("g_idx"))
        let g = Self.copy("gptq-qwen2-g32")
        FixtureEditing.editTensors(g + "/llm/model.safetensors",
                                   add: [("model.layers.0.mlp.up_proj.scaled_zeros", .f16, [2, 128], [UInt8](repeating: 0, count: 512))])
        let r = Self.refusal(g)
        #expect(r.contains("model.layers.0.mlp.up_proj.scaled_zeros"), "\(r)")
    }

    @Test func gIdxOutsideTheStoredGroupsIsRefused() throws {
        let f = Self.copy("gptq-qwen2-g32")
        let name = "model.layers.0.self_attn.q_proj.g_idx"
        Self.overwrite(f + "/llm/model.safetensors", tensor: name, at: 0, with: [9, 0, 0, 0])  // input 0 in group 9 of 2
        let source = try ImportSource.detect(f)
        let store = try source.open()
        #expect(throws: (any Error).self) { try store.dequantized("model.layers.0.self_attn.q_proj.weight") }
        let plan = try store.plan("model.layers.0.self_attn.q_proj.weight")
        guard case .reround = plan else { Issue.record("plan \(plan)"); return }
    }

    /// The tool's scales are stored as they are, so a NaN among them is an error naming the tensor
    /// (unless allowed, as everywhere else).
    @Test func nonFiniteScalesAreRefused() throws {
        let f = Self.copy("autoawq-llama-g128")
        let name = "model.layers.0.mlp.up_proj.scales"
        Self.overwrite(f + "/llm/model.safetensors", tensor: name, at: 2, with: [0x00, 0x7E])  // f16 NaN
        let out = TestFiles.tempDir("imp") + "/q"
        #expect(throws: (any Error).self) { try CheckpointImporter.run(try ImportSource.detect(f), to: out) }
        do { _ = try CheckpointImporter.run(try ImportSource.detect(f), to: out) } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
        var allow = CheckpointImporter.Options()
        allow.allowNonFinite = true
        #expect(throws: Never.self) { try CheckpointImporter.run(try ImportSource.detect(f), to: out + "-allowed", options: allow) }
    }

    @Test func llmAWQGroupSizeMustFitTheScales() {
        let f = Self.copy("llm-awq-llama-g128")
        let r = Self.refusal(f, weights: f + "/llm/tiny-w4-g128-awq-v2.pt", group: 64)
        #expect(r.contains("group size 64") || r.contains("(--group-size)"), "\(r)")
        let renamed = f + "/llm/tiny-awq.pt"
        try! FileManager.default.moveItem(atPath: f + "/llm/tiny-w4-g128-awq-v2.pt", toPath: renamed)
        #expect(Self.refusal(f).contains("--group-size"))
        #expect(Self.refusal(f, group: 128) == "accepted")
    }
}
