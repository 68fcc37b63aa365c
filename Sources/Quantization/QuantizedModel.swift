import ModelGraph
import ReferenceRuntime
import TensorCore
import TensorIO

/// A quantized model folder opened for execution: manifest, config and weights.
// Unchecked Sendable: every property is a `let` set in init; the manifest is a value, the store a read-only map.
public final class QuantizedModel: WeightSource, @unchecked Sendable {
    public let path: String
    public let manifest: JSONValue
    public let store: SafetensorsFile
    public let weights: QuantizedWeights

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

    public init(path: String, allowNonFinite: Bool = false, overrides: ConfigOverrides = .none) throws {
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
        guard let layout = m["layout"]?.stringValue.flatMap(LayoutKind.init(rawValue:)) else {
            throw LoadError.badManifest(manifestPath, "unknown layout \(m["layout"]?.serialized ?? "(absent)")")
        }
        manifest = m
        let config = try ConfigLoader.read(FolderConfigSource(Path.join(path, QuantizedModelFormat.configFolder)), layout: layout, overrides: overrides)
        store = try SafetensorsFile(path: Path.join(path, QuantizedModelFormat.weightsName))
        let schemes = try QuantizedWeights.schemes(from: m["tensors"], file: manifestPath)
        try StoredModelValidation.check(store: store, config: config, schemes: schemes, declared: m["tensors"])
        weights = QuantizedWeights(config: config, store: store, schemes: schemes, allowNonFinite: allowNonFinite)
    }

    public var config: VLMConfig { weights.config }
    public var schemes: [String: QuantScheme] { weights.schemes }
    public func floats(_ slot: String) throws -> [Float]? { try weights.floats(slot) }
    public func linear(_ prefix: String) throws -> any LinearOperator { try weights.linear(prefix) }
    public func matrix(_ prefix: String, scheme: QuantScheme) throws -> QuantizedMatrix { try weights.matrix(prefix, scheme: scheme) }
}
