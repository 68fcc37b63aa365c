import Foundation
import ModelGraph
import Quantization
import TensorCore
import TensorIO

/// `vlmkit export --format autoawq`: a quantized model folder whose language model is int4 written
/// as AutoAWQ GEMM safetensors (formats/quantization.md, "AutoAWQ export") — the layout vLLM,
/// TensorRT-LLM, sglang and transformers load as `quant_method: awq` — in the checkpoint's own
/// layout and names: for VILA, llm/ holds the packed LLM and its config with `quantization_config`,
/// vision_tower/ and mm_projector/ stay float beside it. The int4 values are repacked, not
/// re-rounded (`AutoAWQPacking.pack`); decoder Linears kept float are listed in
/// `modules_to_not_convert`.
public enum AutoAWQExport {
    public struct Summary: Sendable, Encodable {
        public let path: String
        public let groupSize: Int
        public let packedLinears: Int
        public let floatTensors: Int
        public let modulesNotConverted: [String]
        public let bytes: Int
    }

    public struct ExportError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func export(_ model: QuantizedModel, to output: String,
                              progress: @escaping (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> Summary {
        let out = output.hasSuffix("/") ? String(output.dropLast()) : output
        guard !Path.exists(out) else { throw ModelQuantizer.WriteError.outputExists(out) }
        let config = model.config, layout = config.layout
        let tensors = ModelDescription(config).tensors(config).filter(\.present)
        // Every quantized layer must be an int4 Linear of the language model, all with one group size.
        var group: Int? = nil
        var notConverted: [String] = []
        var packed: [String: (rows: Int, cols: Int, symmetric: Bool)] = [:]
        for t in tensors where t.isQuantizable {
            let prefix = String(t.slot.dropLast(".weight".count))
            let isLLM = t.part.role == .decoder
            guard let scheme = model.schemes[prefix] else {
                if isLLM { notConverted.append(try moduleName(t, layout)) }
                continue
            }
            guard isLLM, case let .int4(g, sym) = scheme else {
                throw ExportError(description: "\(prefix) is \(scheme); AutoAWQ GEMM holds int4 Linears of the language model only (quantize with --scheme int4, and the vision tower and projector kept float)")
            }
            if let group, group != g {
                throw ExportError(description: "\(prefix) has groups of \(g) but other layers of \(group); AutoAWQ's quantization_config has one group_size")
            }
            group = g
            packed[t.slot] = (t.shape[0], t.shape[1], sym)
        }
        guard let group else { throw ExportError(description: "\(model.path) has no int4 layer to write as AutoAWQ") }
        // In a one-folder layout (LLaVA-HF) transformers loads the vision tower and projector with the
        // language model, and would replace their Linears too unless they are listed.
        if layout.placement(.vision).folder == layout.placement(.decoder).folder {
            for role in [PartRole.vision, .projector] {
                notConverted.append(String(layout.placement(role).prefixes[0].dropLast()))
            }
        }

        return try TemporaryFiles.assembleFolder(out) { temp in
            let configRoot = Path.join(model.path, QuantizedModelFormat.configFolder)
            for sub in layout.folders { try FileSystem.makeDirectory(Path.join(temp, sub)) }
            for rel in try QuantizedModelFormat.configFiles(in: configRoot, layout: layout) where Path.fileName(of: rel) != ConfigOverrides.fileName {
                try FileManager.default.copyItem(atPath: Path.join(configRoot, rel), toPath: Path.join(temp, rel))
            }
            let llmFolder = layout.placement(.decoder).folder
            try addQuantizationConfig(Path.join(Path.join(temp, llmFolder), "config.json"), group: group, notConverted: notConverted)

            var writers: [String: SafetensorsWriter] = [:]
            let total = tensors.count
            var done = 0
            for t in tensors {
                let place = layout.placement(t.part.role)
                guard let rel = t.checkpointName(layout) else { continue }
                let name = place.prefixes[0] + rel
                var w = writers[place.folder] ?? SafetensorsWriter(metadata: ["format": "pt"])
                if let p = packed[t.slot] {
                    try addPacked(&w, model: model, slot: t.slot, name: String(name.dropLast(".weight".count)), shape: p, group: group)
                } else {
                    guard let info = model.store.info(t.slot) else { throw ExportError(description: "\(model.path): no tensor \(t.slot)") }
                    let store = model.store, slot = t.slot
                    try w.add(name, dtype: info.dtype, shape: info.shape) { try store.withBytes(slot) { Array($0) } }
                }
                writers[place.folder] = w
                done += 1
                progress(done, total)
            }
            var bytes = 0
            for (folder, w) in writers.sorted(by: { $0.key < $1.key }) {
                let path = Path.join(Path.join(temp, folder), "model.safetensors")
                try w.write(to: path)
                bytes += (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            }
            return Summary(path: out, groupSize: group, packedLinears: packed.count, floatTensors: tensors.count - packed.count,
                           modulesNotConverted: notConverted, bytes: bytes)
        }
    }

    /// The module's name as transformers sees it in the checkpoint (for modules_to_not_convert).
    static func moduleName(_ t: DeclaredTensor, _ layout: LayoutKind) throws -> String {
        guard let rel = t.checkpointName(layout) else { throw ExportError(description: "\(t.slot) has no checkpoint name in the \(layout) layout") }
        return String((layout.placement(t.part.role).prefixes[0] + rel).dropLast(".weight".count))
    }

    static func addPacked(_ w: inout SafetensorsWriter, model: QuantizedModel, slot: String, name: String,
                          shape p: (rows: Int, cols: Int, symmetric: Bool), group: Int) throws {
        let prefix = String(slot.dropLast(".weight".count))
        let (n, k) = (p.rows, p.cols)
        let box = PackedBox()
        let store = model.store
        let compute: () throws -> (qweight: [Int32], qzeros: [Int32], scales: [UInt16]) = {
            if let done = box.value { return done }
            let qweight = try store.values(QuantizedModelFormat.qweight(prefix), as: UInt8.self)
            let scales = try store.values(QuantizedModelFormat.scales(prefix), as: UInt16.self)
            // Symmetric int4 stores q with the zero-point 8 implied; AutoAWQ stores it.
            let zeros = p.symmetric ? [UInt8](repeating: 8, count: n * (k / group))
                : try store.values(QuantizedModelFormat.zeros(prefix), as: UInt8.self)
            let v = try AutoAWQPacking.pack(AutoAWQPacking.Int4Linear(qweight: qweight, scales: scales, zeros: zeros), rows: n, cols: k, group: group)
            box.value = v
            return v
        }
        try w.add(name + ".qweight", dtype: .i32, shape: [k, n / 8]) { try compute().qweight.withUnsafeBytes { Array($0) } }
        try w.add(name + ".qzeros", dtype: .i32, shape: [k / group, n / 8]) { try compute().qzeros.withUnsafeBytes { Array($0) } }
        try w.add(name + ".scales", dtype: .f16, shape: [k / group, n]) {
            defer { box.value = nil }
            return try compute().scales.withUnsafeBytes { Array($0) }
        }
    }

    final class PackedBox { var value: (qweight: [Int32], qzeros: [Int32], scales: [UInt16])? }

    /// Writes AutoAWQ's `quantization_config` into the LLM's config.json (replacing one there).
    static func addQuantizationConfig(_ path: String, group: Int, notConverted: [String]) throws {
        guard case .object(var fields) = try JSONFile.read(path) else { throw ExportError(description: "\(path): not a JSON object") }
        fields.removeAll { $0.key == "quantization_config" }
        fields.append(("quantization_config", .object([
            ("quant_method", .string("awq")), ("version", .string("gemm")), ("bits", .int(4)), ("group_size", .int(Int64(group))),
            ("zero_point", .bool(true)),
            ("modules_to_not_convert", notConverted.isEmpty ? .null : .array(notConverted.map { .string($0) })),
        ])))
        try FileSystem.writeText(JSONValue.object(fields).serialized + "\n", to: path)
    }
}
