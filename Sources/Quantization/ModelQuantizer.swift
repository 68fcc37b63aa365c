import Foundation
import CKernels
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
        /// Slots already encoded (AWQ's finished layers, read back from its run folder); the
        /// rest are encoded from the checkpoint (or `overrides`).
        public var encoded: (@Sendable (String) throws -> EncodedTensor?)? = nil
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

    /// The scheme of every weight slot the recipe quantizes (`PREFIX.weight` → scheme), after
    /// checking that each group size divides its layer's columns (before anything is computed
    /// or written).
    public static func schemes(_ graph: VLMGraph, recipe: QuantRecipe) throws -> [String: QuantScheme] {
        var out: [String: QuantScheme] = [:]
        for (prefix, ref) in linearLayers(graph) {
            guard let scheme = recipe.scheme(for: prefix) else { continue }
            if let g = scheme.groupSize, ref.shape[1] % g != 0 {
                throw QuantizationError.groupDoesNotDivide(tensor: prefix + ".weight (\(ref.source))", columns: ref.shape[1], groupSize: g)
            }
            out[prefix + ".weight"] = scheme
        }
        return out
    }

    public static func quantize(_ graph: VLMGraph, to output: String, options: Options,
                                progress: @escaping (_ bytesDone: Int, _ bytesTotal: Int) -> Void = { _, _ in }) throws -> QuantizeReport {
        let out = output.hasSuffix("/") ? String(output.dropLast()) : output
        guard !Path.exists(out) else { throw WriteError.outputExists(out) }
        let schemeOf = try schemes(graph, recipe: options.recipe)
        let estimate = graph.tensors.reduce(0) { sum, t in
            sum + (schemeOf[t.slot].map { $0.storedBytes(rows: t.shape[0], cols: t.shape[1]) } ?? t.shape.elementCount * 2)
        }
        try FileSystem.requireSpace(estimate + (1 << 20), for: out)

        return try TemporaryFiles.assembleFolder(out) { temp in
            try copyConfigs(from: graph.path, layout: graph.config.layout, to: Path.join(temp, QuantizedModelFormat.configFolder),
                            overrides: graph.config.overrides)
            var report = QuantizeReport(source: graph.path, output: out, method: options.method, recipe: options.recipe.description)
            report.awq = options.awq
            var writer = SafetensorsWriter(metadata: ["format": QuantizedModelFormat.format])
            var manifestTensors: [(key: String, value: JSONValue)] = []
            // Progress in source bytes read and encoded.
            let total = graph.tensors.reduce(0) { $0 + $1.info.byteCount }
            var done = 0
            for ref in graph.tensors {
                let scheme = schemeOf[ref.slot]
                let box = EncodedBox()
                // The slot is encoded when the writer asks for its first stored tensor and released
                // after its last, so memory holds one encoded slot at a time.
                let compute: () throws -> EncodedTensor = {
                    if let e = box.encoded { return e }
                    let e: EncodedTensor
                    if let pre = try options.encoded?(ref.slot) {
                        e = pre
                    } else if scheme == nil, options.overrides[ref.slot] == nil,
                              let kept = try EncodedTensor.keptAsStored(ref, allowNonFinite: options.allowNonFinite) {
                        e = kept
                    } else if let scheme, options.overrides[ref.slot] == nil,
                              let direct = try EncodedTensor.encodeStored(ref, scheme: scheme, threads: options.threads) {
                        e = direct
                    } else {
                        let values: [Float]
                        if let o = options.overrides[ref.slot] {
                            values = o
                        } else {
                            values = try ref.float32().data
                            try NonFinite.check(values, tensor: ref.source, file: ref.info.file, allow: options.allowNonFinite)
                        }
                        e = try EncodedTensor.encode(ref, values: values, scheme: scheme, threads: options.threads)
                    }
                    box.encoded = e
                    report.tensors.append(e.report)
                    manifestTensors.append((ref.slot, e.manifest))
                    done += ref.info.byteCount
                    progress(done, total)
                    return e
                }
                let layout = EncodedTensor.layout(ref, scheme: scheme)
                for (i, part) in layout.enumerated() {
                    try writer.add(part.name, dtype: part.dtype, shape: part.shape) {
                        let bytes = try compute().parts[i].bytes
                        if i == layout.count - 1 {
                            box.encoded = nil
                            // Without this, glibc keeps the freed buffers of every tensor in its
                            // per-thread arenas: 1.5 GB of anonymous memory by the end of a 7B model.
                            vlm_release_free_memory()
                        }
                        return bytes
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
            return report
        }
    }

    final class EncodedBox { var encoded: EncodedTensor? }

    /// Copies every non-weight file of the checkpoint (configs, tokenizer, preprocessor) to
    /// `dest`, keeping relative paths.
    /// `vlmkit-overrides.json` is written from `overrides` (the stored one and the command
    /// line's, merged) rather than copied.
    static func copyConfigs(from source: String, layout: LayoutKind, to dest: String, overrides: ConfigOverrides) throws {
        try FileSystem.makeDirectory(dest)
        for sub in layout.folders { try FileSystem.makeDirectory(Path.join(dest, sub)) }
        for rel in try QuantizedModelFormat.configFiles(in: source, layout: layout) where rel != ConfigOverrides.fileName {
            try FileManager.default.copyItem(atPath: Path.join(source, rel), toPath: Path.join(dest, rel))
        }
        if !overrides.isEmpty {
            try Data((overrides.json.serialized + "\n").utf8).write(to: URL(fileURLWithPath: Path.join(dest, ConfigOverrides.fileName)))
        }
    }
}
