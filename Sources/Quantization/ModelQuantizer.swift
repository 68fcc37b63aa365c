import Foundation
import ModelGraph
import ReferenceRuntime
import TensorCore
import TensorIO

/// Writes a quantized model folder (formats/quantization.md) from a float checkpoint's graph:
/// configs copied verbatim, Linear layers quantized per the recipe, everything else kept as
/// float. The folder is assembled under a temporary name beside the target and renamed at
/// the end, so a failure never leaves a partial model under the target name.
public enum ModelQuantizer {
    public struct Options: Sendable {
        public var recipe: QuantRecipe
        public var method: String = "rtn"
        public var threads: Int = 1
        /// Replacement f32 values by slot (AWQ's scaled and clipped weights, rescaled norms).
        public var overrides: [String: [Float]] = [:]
        public var awq: AWQSummary? = nil
        /// Accept NaN/Inf in the source weights (--allow-nonfinite); by default they are errors.
        public var allowNonFinite = false

        public init(recipe: QuantRecipe) { self.recipe = recipe }
    }

    public enum WriteError: Error, CustomStringConvertible {
        case outputExists(String)
        case outputIsInput(String)
        case floatOverflow(slot: String)

        public var description: String {
            switch self {
            case .outputExists(let p): return "\(p): already exists; remove it or choose another output"
            case .outputIsInput(let p): return "\(p): the output would overwrite the input checkpoint"
            case .floatOverflow(let s): return "\(s): values exceed the float16 range, so it cannot be kept as f16; keep it in a quantized scheme or rescale the checkpoint"
            }
        }
    }

    /// Every Linear layer of the graph as (slot prefix, weight ref).
    public static func linearLayers(_ graph: VLMGraph) -> [(prefix: String, ref: TensorRef)] { graph.linears }

    public static func quantize(_ graph: VLMGraph, to output: String, options: Options,
                                progress: @escaping (Int, Int) -> Void = { _, _ in }) throws -> QuantizeReport {
        let out = output.hasSuffix("/") ? String(output.dropLast()) : output
        guard !Path.exists(out) else { throw WriteError.outputExists(out) }
        let plan = linearLayers(graph).compactMap { l in options.recipe.scheme(for: l.prefix).map { (l.prefix, l.ref, $0) } }
        // Check every group size before writing anything.
        for (prefix, ref, scheme) in plan {
            if let g = scheme.groupSize, ref.shape[1] % g != 0 {
                throw QuantizationError.groupDoesNotDivide(tensor: prefix + ".weight (\(ref.source))", columns: ref.shape[1], groupSize: g)
            }
        }
        let schemeOf = Dictionary(uniqueKeysWithValues: plan.map { ($0.0 + ".weight", $0.2) })
        let estimate = graph.tensors.reduce(0) { sum, t in
            sum + (schemeOf[t.slot].map { $0.storedBytes(rows: t.shape[0], cols: t.shape[1]) } ?? t.shape.elementCount * 2)
        }
        try FileSystem.requireSpace(estimate + (1 << 20), for: out)

        let temp = Path.join(Path.directory(of: out), ".\(Path.fileName(of: out)).partial-\(getpid())")
        try? FileManager.default.removeItem(atPath: temp)
        try FileSystem.makeDirectory(temp)
        TemporaryFiles.register(temp)
        defer { TemporaryFiles.unregister(temp) }
        do {
            try copyConfigs(from: graph.path, layout: graph.config.layout, to: Path.join(temp, QuantizedModelFormat.configFolder))
            var report = QuantizeReport(source: graph.path, output: out, method: options.method, recipe: options.recipe.description)
            report.awq = options.awq
            var writer = SafetensorsWriter(metadata: ["format": QuantizedModelFormat.format])
            var manifestTensors: [(key: String, value: JSONValue)] = []
            let total = graph.tensors.count
            var done = 0
            for ref in graph.tensors {
                let values: () throws -> [Float] = {
                    if let o = options.overrides[ref.slot] { return o }
                    let v = try ref.float32().data
                    try NonFinite.check(v, tensor: ref.source, file: ref.info.file, allow: options.allowNonFinite)
                    return v
                }
                if let scheme = schemeOf[ref.slot] {
                    let prefix = String(ref.slot.dropLast(".weight".count))
                    let rows = ref.shape[0], cols = ref.shape[1]
                    let box = MatrixBox()
                    let compute: () throws -> QuantizedMatrix = {
                        if let m = box.matrix { return m }
                        let w = try values()
                        let m = try RTNQuantizer.quantize(w, rows: rows, cols: cols, scheme: scheme, name: ref.slot, threads: options.threads)
                        box.matrix = m
                        let stats = QuantStats.measure(original: w, dequantized: m.dequantized())
                        report.tensors.append(.init(slot: ref.slot, shape: ref.shape.dims, storage: scheme.description, stats: stats,
                                                    sourceBytes: ref.info.byteCount, storedBytes: m.storedBytes))
                        manifestTensors.append((ref.slot, .object([
                            ("scheme", .string(scheme.description)), ("shape", .array([.int(Int64(rows)), .int(Int64(cols))])),
                            ("nmse", .double(stats.nmse)), ("max_abs_error", .double(stats.maxAbsError)),
                        ])))
                        done += 1
                        progress(done, total)
                        return m
                    }
                    let qShape: Shape = scheme == .int8 ? [rows, cols] : [rows, cols / 2]
                    try writer.add(QuantizedModelFormat.qweight(prefix), dtype: scheme == .int8 ? .i8 : .u8, shape: qShape) {
                        try compute().valueBytes.withBytes { Array($0) }
                    }
                    let groups = scheme.groupSize.map { cols / $0 }
                    var hasZeros = false
                    if case .int4(_, false) = scheme { hasZeros = true }
                    // The last tensor written for a layer releases its matrix, so memory holds one
                    // quantized layer at a time.
                    try writer.add(QuantizedModelFormat.scales(prefix), dtype: .f16, shape: groups.map { [rows, $0] } ?? [rows]) {
                        let scales = try compute().scaleBytes.withBytes { Array($0) }
                        if !hasZeros { box.matrix = nil }
                        return scales
                    }
                    if hasZeros {
                        try writer.add(QuantizedModelFormat.zeros(prefix), dtype: .u8, shape: [rows, groups!]) {
                            let z = try compute().zeroBytes!.withBytes { Array($0) }
                            box.matrix = nil
                            return z
                        }
                    }
                } else {
                    let dtype: DType = ref.dtype == .bf16 ? .bf16 : .f16
                    try writer.add(ref.slot, dtype: dtype, shape: ref.shape) {
                        let v = try values()
                        if dtype == .f16, v.contains(where: { abs($0) > 65504 && $0.isFinite }) {
                            throw WriteError.floatOverflow(slot: ref.slot)
                        }
                        report.tensors.append(.init(slot: ref.slot, shape: ref.shape.dims, storage: dtype.displayName, stats: nil,
                                                    sourceBytes: ref.info.byteCount, storedBytes: ref.shape.elementCount * 2))
                        manifestTensors.append((ref.slot, .object([("dtype", .string(dtype.displayName))])))
                        done += 1
                        progress(done, total)
                        return TensorEncoding.encode(v, as: dtype)
                    }
                }
            }
            try writer.write(to: Path.join(temp, QuantizedModelFormat.weightsName))
            let manifest = JSONValue.object([
                ("format", .string(QuantizedModelFormat.format)), ("version", .string(QuantizedModelFormat.version)),
                ("layout", .string(graph.config.layout.rawValue)), ("source", .string(graph.path)),
                ("method", .string(options.method)), ("recipe", .string(options.recipe.description)),
                ("tensors", .object(manifestTensors)),
            ])
            try FileSystem.writeText(manifest.serialized + "\n", to: Path.join(temp, QuantizedModelFormat.manifestName))
            guard TemporaryFiles.commitRename(temp, to: out) == 0 else {
                throw IOError.cannotWrite(path: out, reason: String(cString: strerror(errno)))
            }
            return report
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }

    final class MatrixBox { var matrix: QuantizedMatrix? }

    /// Copies every non-weight file of the checkpoint (configs, tokenizer, preprocessor) to
    /// `dest`, keeping relative paths.
    static func copyConfigs(from source: String, layout: LayoutKind, to dest: String) throws {
        try FileSystem.makeDirectory(dest)
        for sub in layout.folders { try FileSystem.makeDirectory(Path.join(dest, sub)) }
        for rel in try QuantizedModelFormat.configFiles(in: source, layout: layout) {
            try FileManager.default.copyItem(atPath: Path.join(source, rel), toPath: Path.join(dest, rel))
        }
    }
}
