import ModelGraph
import ReferenceRuntime
import TensorCore
import TensorIO

/// Weights stored the VLMKit way — tensors named by slot, quantized Linear layers as
/// `PREFIX.qweight/.scales/.zeros` (formats/quantization.md) — in any tensor store: a quantized
/// model folder's safetensors file or a device bundle. Serves the runtime as a `WeightSource`.
// Unchecked Sendable: immutable; `store` is a TensorStore (itself Sendable) held as an existential.
public struct QuantizedWeights: WeightSource, @unchecked Sendable {
    public let config: VLMConfig
    public let store: any TensorStore
    /// Slot prefix → scheme of every quantized Linear layer.
    public let schemes: [String: QuantScheme]
    /// Whether NaN/Inf in float tensors and quantization scales is accepted (--allow-nonfinite).
    public let allowNonFinite: Bool

    public init(config: VLMConfig, store: any TensorStore, schemes: [String: QuantScheme], allowNonFinite: Bool = false) {
        self.config = config
        self.store = store
        self.schemes = schemes
        self.allowNonFinite = allowNonFinite
    }

    /// Reads `{SLOT: {"scheme": …} | {"dtype": …}}` manifest entries.
    public static func schemes(from tensors: JSONValue?, file: String) throws -> [String: QuantScheme] {
        var out: [String: QuantScheme] = [:]
        for (slot, entry) in tensors?.objectValue ?? [] {
            guard let text = entry["scheme"]?.stringValue else { continue }
            guard let s = QuantScheme(text) else {
                throw QuantizedModel.LoadError.badManifest(file, "tensor \(slot): unknown scheme \"\(text)\"")
            }
            out[slot.hasSuffix(".weight") ? String(slot.dropLast(".weight".count)) : slot] = s
        }
        return out
    }

    public func floats(_ slot: String) throws -> [Float]? {
        guard let info = store.info(slot) else { return nil }
        let values = try store.float32(slot).data
        try NonFinite.check(values, tensor: slot, file: info.file, allow: allowNonFinite)
        return values
    }

    public func linear(_ prefix: String) throws -> any LinearOperator {
        let bias = try floats(prefix + ".bias")
        guard let scheme = schemes[prefix] else {
            if let half = try HalfLinear.load(store, name: prefix + ".weight", bias: bias, allowNonFinite: allowNonFinite) { return half }
            let w = try store.float32(prefix + ".weight")
            try NonFinite.check(w.data, tensor: prefix + ".weight", file: store.location, allow: allowNonFinite)
            return FloatLinear(weight: w.data, bias: bias, outFeatures: w.shape[0], inFeatures: w.shape[1])
        }
        return QuantizedLinear(try matrix(prefix, scheme: scheme), bias: bias)
    }

    /// Reads the stored integers, scales and zero-points of one quantized layer, checking sizes.
    public func matrix(_ prefix: String, scheme: QuantScheme) throws -> QuantizedMatrix {
        let qName = QuantizedModelFormat.qweight(prefix)
        guard let qi = store.info(qName), qi.shape.rank == 2 else { throw SafetensorsError.tensorNotFound(file: store.location, tensor: qName) }
        let rows = qi.shape[0]
        let cols = scheme == .int8 ? qi.shape[1] : qi.shape[1] * 2
        // Used in place: the kernels read the store's mapped bytes (scales need 2-byte alignment;
        // a misaligned tensor is copied).
        let values = try StoredBytes.inPlace(store, qName, alignment: 1)
        let sName = QuantizedModelFormat.scales(prefix)
        try store.withBytes(sName) { raw in
            try NonFinite.check(raw, dtype: .f16, tensor: sName, file: store.location, allow: allowNonFinite)
        }
        let scales = try StoredBytes.inPlace(store, sName, alignment: 2)
        var zeros: StoredBytes? = nil
        if case .int4(_, false) = scheme {
            let zName = QuantizedModelFormat.zeros(prefix)
            let z = try StoredBytes.inPlace(store, zName, alignment: 1)
            if let bad = z.withElements(UInt8.self, { $0.firstIndex(where: { $0 > 15 }) }) {
                throw SafetensorsError.badEntry(file: store.location, tensor: zName,
                                                detail: "zero-point \(z.raw[bad]) at element \(bad) is outside 0…15 (int4)")
            }
            store.release(zName)
            zeros = z
        }
        let groups = rows * (scheme.groupSize.map { cols / $0 } ?? 1)
        guard scales.count == 2 * groups, zeros == nil || zeros!.count == groups,
              values.count == (scheme == .int8 ? rows * cols : rows * cols / 2) else {
            throw SafetensorsError.badEntry(file: store.location, tensor: qName, detail: "sizes of qweight/scales/zeros do not fit \(scheme) for [\(rows), \(cols)]")
        }
        return QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, valueBytes: values, scaleBytes: scales, zeroBytes: zeros)
    }
}
