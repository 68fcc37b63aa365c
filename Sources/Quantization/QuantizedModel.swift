import ModelGraph
import ReferenceRuntime
import TensorCore
import TensorIO

/// A quantized model folder opened for execution: config, manifest and weights; a
/// `WeightSource` for the runtime, so quantized layers run through `QuantizedLinear`.
public final class QuantizedModel: WeightSource, @unchecked Sendable {
    public let path: String
    public let config: VLMConfig
    public let manifest: JSONValue
    public let store: SafetensorsFile
    /// Slot prefix → scheme of every quantized Linear layer.
    public let schemes: [String: QuantScheme]

    public enum LoadError: Error, CustomStringConvertible {
        case notQuantized(String)
        case badManifest(String, String)

        public var description: String {
            switch self {
            case .notQuantized(let p): return "\(p): not a quantized model (no \(QuantizedModelFormat.manifestName))"
            case let .badManifest(p, d): return "\(p): \(d)"
            }
        }
    }

    public static func isQuantizedModel(_ path: String) -> Bool {
        Path.isRegularFile(Path.join(path, QuantizedModelFormat.manifestName))
    }

    public init(path: String) throws {
        self.path = path
        let manifestPath = Path.join(path, QuantizedModelFormat.manifestName)
        guard Path.isRegularFile(manifestPath) else { throw LoadError.notQuantized(path) }
        let m: JSONValue
        do { m = try JSONFile.read(manifestPath) } catch let e as JSONParseError {
            throw LoadError.badManifest(manifestPath, e.description)
        }
        guard m["format"]?.stringValue == QuantizedModelFormat.format else {
            throw LoadError.badManifest(manifestPath, "format is not \"\(QuantizedModelFormat.format)\"")
        }
        guard m["version"]?.stringValue == QuantizedModelFormat.version else {
            throw LoadError.badManifest(manifestPath, "version \(m["version"]?.serialized ?? "(absent)") is not supported (this vlmkit reads \(QuantizedModelFormat.version))")
        }
        manifest = m
        let configDir = Path.join(path, QuantizedModelFormat.configFolder)
        switch m["layout"]?.stringValue {
        case "vila": config = try ConfigLoader.readVILA(folder: configDir)
        case "llava-hf": config = try ConfigLoader.readLlavaHF(folder: configDir)
        default: throw LoadError.badManifest(manifestPath, "unknown layout \(m["layout"]?.serialized ?? "(absent)")")
        }
        store = try SafetensorsFile(path: Path.join(path, QuantizedModelFormat.weightsName))
        var schemes: [String: QuantScheme] = [:]
        for (slot, entry) in m["tensors"]?.objectValue ?? [] {
            guard let text = entry["scheme"]?.stringValue else { continue }
            guard let s = QuantScheme(text) else { throw LoadError.badManifest(manifestPath, "tensor \(slot): unknown scheme \"\(text)\"") }
            schemes[slot.hasSuffix(".weight") ? String(slot.dropLast(".weight".count)) : slot] = s
        }
        self.schemes = schemes
    }

    public func floats(_ slot: String) throws -> [Float]? {
        guard store.info(slot) != nil else { return nil }
        return try store.float32(slot).data
    }

    public func linear(_ prefix: String) throws -> any LinearOperator {
        let bias = try floats(prefix + ".bias")
        guard let scheme = schemes[prefix] else {
            let w = try store.float32(prefix + ".weight")
            return FloatLinear(weight: w.data, bias: bias, outFeatures: w.shape[0], inFeatures: w.shape[1])
        }
        return QuantizedLinear(try matrix(prefix, scheme: scheme), bias: bias)
    }

    /// Reads the stored integers, scales and zero-points of one quantized layer, checking sizes.
    public func matrix(_ prefix: String, scheme: QuantScheme) throws -> QuantizedMatrix {
        let qName = QuantizedModelFormat.qweight(prefix)
        guard let qi = store.info(qName), qi.shape.rank == 2 else { throw SafetensorsError.tensorNotFound(file: store.path, tensor: qName) }
        let rows = qi.shape[0]
        let cols = scheme == .int8 ? qi.shape[1] : qi.shape[1] * 2
        let values = try store.withBytes(qName) { Array($0) }
        let sName = QuantizedModelFormat.scales(prefix)
        let scales: [UInt16] = try store.withBytes(sName) { raw in
            (0..<(raw.count / 2)).map { raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
        }
        var zeros: [UInt8]? = nil
        if case .int4(_, false) = scheme { zeros = try store.withBytes(QuantizedModelFormat.zeros(prefix)) { Array($0) } }
        let groups = rows * (scheme.groupSize.map { cols / $0 } ?? 1)
        guard scales.count == groups, zeros == nil || zeros!.count == groups,
              values.count == (scheme == .int8 ? rows * cols : rows * cols / 2) else {
            throw SafetensorsError.badEntry(file: store.path, tensor: qName, detail: "sizes of qweight/scales/zeros do not fit \(scheme) for [\(rows), \(cols)]")
        }
        return QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, values: values, scales: scales, zeros: zeros)
    }
}
