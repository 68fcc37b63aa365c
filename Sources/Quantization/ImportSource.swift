import Foundation
import ModelGraph
import TensorIO

/// Where an already-quantized checkpoint keeps its packed weights and how they are packed, read
/// from its files: a `torch.save` file in the LLM folder is llm-awq's real-quant output; otherwise
/// the LLM's `quantization_config` (AutoAWQ, GPTQ) says (formats/quantization.md, "Importing").
public struct ImportSource: Sendable {
    public let folder: String
    public let layout: LayoutKind
    public let format: PackedFormat
    /// The checkpoint's group size; −1 for GPTQ's per-channel.
    public let groupSize: Int
    /// The placement folder whose weights are packed ("llm" for VILA, "" for one-folder layouts).
    public let weightsFolder: String
    /// The packed weights: a `.pt` file, or the folder holding the safetensors.
    public let weightsPath: String
    /// What the configuration said that matters to a reader (act-order, symmetric groups).
    public let notes: [String]

    /// - weights: a `.pt` file to read instead of looking in the LLM folder.
    /// - groupSize: llm-awq's group size when the file name does not say it (`-g128-`).
    public static func detect(_ folder: String, weights: String? = nil, groupSize: Int? = nil) throws -> ImportSource {
        let vila = Path.isDirectory(Path.join(folder, "llm"))
        let layout = vila ? LayoutKind.vila : try ModelLoader.detectLayout(folder)
        let sub = vila ? "llm" : ""
        let dir = sub.isEmpty ? folder : Path.join(folder, sub)
        if let pt = try torchFile(weights: weights, in: dir) {
            let g = try groupSize ?? fileNameGroup(pt) ?? {
                throw ImportError("\(pt): the group size is neither in the file name (-g128-) nor given; pass --group-size")
            }()
            return ImportSource(folder: folder, layout: layout, format: .llmAWQ, groupSize: g, weightsFolder: sub, weightsPath: pt,
                                notes: ["llm-awq real-quant file \(Path.fileName(of: pt)), group size \(g)"])
        }
        if weights != nil { throw ImportError("--weights is for llm-awq .pt files; an AutoAWQ or GPTQ checkpoint is found from its folder") }
        guard let (qc, file) = try quantizationConfig(folder: folder, dir: dir, vila: vila) else {
            throw ImportError("\(folder): not a quantized checkpoint: no quantization_config in \(vila ? "llm/config.json or config.json's llm_cfg" : "config.json") and no llm-awq .pt file; `vlmkit quantize` quantizes a float checkpoint")
        }
        let method = try qc.string("quant_method") ?? ""
        let bits = try qc.int("bits") ?? 4
        guard bits == 4 else { throw ImportError("\(file): quantization_config.bits is \(bits); VLMKit imports 4-bit checkpoints") }
        let g = try qc.int("group_size") ?? qc.int("q_group_size") ?? 128
        guard g == -1 || g > 0 else { throw ImportError("\(file): quantization_config.group_size is \(g)") }
        switch method.lowercased() {
        case "awq":
            let version = (try qc.string("version") ?? "gemm").lowercased()
            guard version == "gemm" else {
                throw ImportError("\(file): AutoAWQ version \"\(version)\" packs differently from GEMM; VLMKit imports version gemm (re-save the model with version GEMM)")
            }
            guard try qc.bool("zero_point", default: true) else {
                throw ImportError("\(file): AutoAWQ with zero_point false is not a layout VLMKit reads; it imports zero_point true (GEMM)")
            }
            return ImportSource(folder: folder, layout: layout, format: .autoAWQ, groupSize: g, weightsFolder: sub, weightsPath: dir,
                                notes: ["AutoAWQ GEMM, group size \(g)"])
        case "gptq":
            let ckpt = (try qc.string("checkpoint_format") ?? "gptq").lowercased()
            let zf: GPTQPacking.ZeroFormat
            switch ckpt {
            case "gptq": zf = .v1
            case "gptq_v2": zf = .v2
            default: throw ImportError("\(file): GPTQ checkpoint_format \"\(ckpt)\" (marlin, bitblas, …) is repacked for one kernel; VLMKit imports gptq and gptq_v2")
            }
            var notes = ["GPTQ \(ckpt == "gptq" ? "v1 (zero-points stored as z − 1)" : "v2"), group size \(g == -1 ? "per channel" : String(g))"]
            if try qc.bool("desc_act", default: false) { notes.append("act-order (desc_act): layers whose g_idx is not trivial are re-rounded") }
            if try qc.bool("sym", default: true) { notes.append("symmetric groups (z = 8), held as asymmetric int4") }
            return ImportSource(folder: folder, layout: layout, format: .gptq(zf), groupSize: g, weightsFolder: sub, weightsPath: dir, notes: notes)
        default:
            throw ImportError("\(file): quant_method \"\(method)\" is not one VLMKit imports (awq, gptq; llm-awq .pt files)")
        }
    }

    /// True when `folder` holds another tool's int4 checkpoint (a `quantization_config`, or an
    /// llm-awq `.pt` where the LLM's safetensors would be); `detect` then reads it or says why not.
    public static func isPackedCheckpoint(_ folder: String) -> Bool {
        guard Path.isDirectory(folder) else { return false }
        let vila = Path.isDirectory(Path.join(folder, "llm"))
        let dir = vila ? Path.join(folder, "llm") : folder
        do {
            return try torchFile(weights: nil, in: dir) != nil || quantizationConfig(folder: folder, dir: dir, vila: vila) != nil
        } catch {
            return true
        }
    }

    /// The checkpoint loaded as a float graph: every packed Linear holds the tool's own
    /// dequantization (what `vlmkit run` and `verify` execute on such a folder).
    public func loadGraph(overrides: ConfigOverrides = .none) throws -> VLMGraph {
        try ModelLoader.load(folder, overrides: overrides, stores: [weightsFolder: open()])
    }

    /// The packed weights opened and seen as float (`PackedInt4Store`).
    public func open() throws -> PackedInt4Store {
        let base: any TensorStore = format == .llmAWQ ? try TorchCheckpoint(path: weightsPath) : try CheckpointFiles.open(weightsPath)
        return try PackedInt4Store(base: base, format: format, group: groupSize)
    }

    static func torchFile(weights: String?, in dir: String) throws -> String? {
        if let weights {
            guard Path.isRegularFile(weights) else { throw IOError.cannotOpen(path: weights, reason: "no such file") }
            return TorchCheckpoint.looksLikeTorchZip(weights) ? weights : nil
        }
        guard !CheckpointFiles.exist(in: dir) else { return nil }
        let pts = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }.sorted() ?? []
        guard pts.count <= 1 else {
            throw ImportError("\(dir): several torch files (\(pts.joined(separator: ", "))); choose one with --weights")
        }
        return pts.first.map { Path.join(dir, $0) }
    }

    /// `-g128` in an llm-awq file name (`vila-1.5-3b-w4-g128-awq-v2.pt`).
    static func fileNameGroup(_ path: String) -> Int? {
        let name = Path.fileName(of: path)
        for part in name.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." }) where part.hasPrefix("g") {
            if let g = Int(part.dropFirst()), g > 0 { return g }
        }
        return nil
    }

    /// The LLM's `quantization_config`: in its own config.json, or (VILA) the top config's `llm_cfg`, or the top level.
    static func quantizationConfig(folder: String, dir: String, vila: Bool) throws -> (ConfigObject, String)? {
        let own = Path.join(dir, "config.json")
        if vila, Path.isRegularFile(own), let qc = try ConfigObject.read(own).object("quantization_config") { return (qc, own) }
        let top = Path.join(folder, "config.json")
        guard Path.isRegularFile(top) else { return nil }
        let c = try ConfigObject.read(top)
        if let qc = try c.object("llm_cfg")?.object("quantization_config") ?? c.object("text_config")?.object("quantization_config")
            ?? c.object("quantization_config") {
            return (qc, top)
        }
        return nil
    }
}
