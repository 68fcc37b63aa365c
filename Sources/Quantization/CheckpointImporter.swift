import ModelGraph
import TensorCore
import TensorIO

/// `vlmkit import`: another tool's int4 checkpoint (AutoAWQ, GPTQ, llm-awq) written as a VLMKit
/// quantized model folder. The checkpoint is loaded through `PackedInt4Store`, so it is mapped and
/// checked like a float one (every tensor known, none missing); each packed Linear is then stored
/// in VLMKit's int4 with the tool's own q, z and s where the scheme holds them, and re-rounded
/// from the tool's dequantization where it does not. Every quantized tensor's report entry gives
/// the error of our dequantization against the tool's: zero for exact conversions.
public enum CheckpointImporter {
    public struct Options: Sendable {
        public var threads = 1
        public var allowNonFinite = false
        public var overrides: ConfigOverrides = .none
        /// The scheme of Linears that cannot be held as stored (act-order GPTQ, other group
        /// sizes); nil: int4 asymmetric with the checkpoint's group size (or the largest of
        /// VLMKit's that divides the inputs). int8 re-rounds with far less added error, at twice the size.
        public var reroundScheme: QuantScheme? = nil
        public init() {}
    }

    public static func run(_ source: ImportSource, to output: String, options: Options = Options(),
                           progress: @escaping (_ bytesDone: Int, _ bytesTotal: Int) -> Void = { _, _ in }) throws -> QuantizeReport {
        let store = try source.open()
        let graph = try ModelLoader.load(source.folder, overrides: options.overrides, stores: [source.weightsFolder: store])
        var found: [String: (ref: TensorRef, plan: PackedInt4Store.Plan)] = [:]
        for (prefix, ref) in graph.linears where ref.store === store && store.isPacked(ref.source) {
            found[prefix] = (ref, try store.plan(ref.source))
        }
        let plans = found
        let mapped = Set(plans.values.map(\.ref.source))
        if let stray = store.packedWeights.first(where: { !mapped.contains($0) }) {
            throw ImportError("\(store.location): \(stray.dropLast(".weight".count)) is packed but is not a Linear layer VLMKit quantizes")
        }
        let recipe = recipe(graph, plans: plans.mapValues(\.plan), reround: options.reroundScheme)
        var q = ModelQuantizer.Options(recipe: recipe)
        q.method = "import-\(source.format)"
        q.threads = options.threads
        q.allowNonFinite = options.allowNonFinite
        let allowNonFinite = options.allowNonFinite
        // The tool's scales are stored as they are, so they are checked here (NaN/Inf is an error naming the tensor).
        @Sendable func checkedInt4(_ ref: TensorRef) throws -> AutoAWQPacking.Int4Linear {
            let m = try store.int4(ref.source)
            let scales = String(ref.source.dropLast(".weight".count)) + ".scales"
            try m.scales.withUnsafeBytes {
                try NonFinite.check($0, dtype: .f16, tensor: scales, file: store.base.info(scales)?.file ?? store.location, allow: allowNonFinite)
            }
            return m
        }
        q.encoded = { slot in
            let prefix = String(slot.dropLast(".weight".count))
            guard slot.hasSuffix(".weight"), let (ref, plan) = plans[prefix] else { return nil }
            switch plan {
            case .reround: return nil  // the quantizer rounds the tool's dequantization (store.bytes)
            case .exact(let g):
                // The tool's own q, z and s: its (q − z)·s is ours by construction (the goldens check the
                // construction against each tool's dequantization), so the error is 0 without a pass over it.
                let m = try checkedInt4(ref)
                return EncodedTensor.int4(ref, m, group: g, stats: QuantStats(nmse: 0, maxAbsError: 0, elements: ref.shape.elementCount))
            case .rounded(let g):
                let m = try checkedInt4(ref)
                let ours = m.dequantized(rows: ref.shape[0], cols: ref.shape[1], group: g)
                let stats = QuantStats.measure(original: try store.dequantized(ref.source), dequantized: ours)
                return EncodedTensor.int4(ref, m, group: g, stats: stats)
            }
        }
        var report = try ModelQuantizer.quantize(graph, to: output, options: q, progress: progress)
        // Source bytes of a packed Linear are its packed tensors, not the size of the float view.
        report.tensors = report.tensors.map { t in
            guard t.slot.hasSuffix(".weight"), let p = plans[String(t.slot.dropLast(".weight".count))],
                  let bytes = store.packedBytes(p.ref.source) else { return t }
            return QuantizeReport.Tensor(slot: t.slot, shape: t.shape, storage: t.storage, stats: t.stats, sourceBytes: bytes, storedBytes: t.storedBytes)
        }
        var summary = ImportSummary(format: source.format.description, weights: source.weightsPath, notes: source.notes)
        for (prefix, entry) in plans.sorted(by: { $0.key < $1.key }) {
            switch entry.plan {
            case .exact: summary.exact += 1
            case .rounded: summary.rounded += 1
            case let .reround(reason, _): summary.rerounded.append(.init(layer: prefix, reason: reason))
            }
        }
        report.imported = summary
        return report
    }

    /// Rules that give every packed Linear its int4 scheme and keep every other Linear float:
    /// the default rules with the most common scheme, then one rule per exception.
    static func recipe(_ graph: VLMGraph, plans: [String: PackedInt4Store.Plan], reround: QuantScheme?) -> QuantRecipe {
        func scheme(_ p: PackedInt4Store.Plan, cols: Int) -> QuantScheme {
            switch p {
            case .exact(let g), .rounded(let g): return .int4(groupSize: g, symmetric: false)
            case .reround(_, let g):
                if let reround { return reround }
                let target = QuantScheme.supportedGroupSizes.contains(g) && cols % g == 0 ? g
                    : QuantScheme.supportedGroupSizes.reversed().first { cols % $0 == 0 } ?? 32
                return .int4(groupSize: target, symmetric: false)
            }
        }
        let linears = graph.linears
        var wanted: [String: QuantScheme] = [:]
        for (prefix, ref) in linears { if let p = plans[prefix] { wanted[prefix] = scheme(p, cols: ref.shape[1]) } }
        let counts = Dictionary(grouping: wanted.values, by: { $0 }).mapValues(\.count)
        let common = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key.description > $1.key.description) }?.key
            ?? .int4(groupSize: 128, symmetric: false)
        var recipe = QuantRecipe(defaultScheme: common)
        for (prefix, _) in linears where recipe.scheme(for: prefix) != wanted[prefix] {
            if let s = wanted[prefix] { recipe.set(prefix, s) } else { recipe.keep(prefix) }
        }
        return recipe
    }
}

/// What an import found: the format, and how each packed Linear was converted.
public struct ImportSummary: Sendable, Encodable {
    public struct Rerounded: Sendable, Encodable {
        public let layer: String
        public let reason: String
    }

    public let format: String
    public let weights: String
    public let notes: [String]
    /// Linears held bit for bit (the tool's q, z, s).
    public var exact = 0
    /// Linears whose zero-point was recovered from a rounded product (llm-awq).
    public var rounded = 0
    public var rerounded: [Rerounded] = []
}

extension EncodedTensor {
    /// A Linear already in VLMKit's asymmetric int4 (an imported one), stored as it is.
    static func int4(_ ref: TensorRef, _ m: AutoAWQPacking.Int4Linear, group: Int, stats: QuantStats) -> EncodedTensor {
        let scheme = QuantScheme.int4(groupSize: group, symmetric: false)
        let bytes = [m.qweight, m.scales.withUnsafeBytes { Array($0) }, m.zeros]
        let parts = zip(layout(ref, scheme: scheme), bytes).map { Part(name: $0.0.name, dtype: $0.0.dtype, shape: $0.0.shape, bytes: $0.1) }
        return EncodedTensor(ref, scheme: scheme, parts: parts, stats: stats)
    }
}
