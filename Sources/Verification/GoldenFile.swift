import ReferenceRuntime
import TensorCore
import TensorIO
import ModelGraph

/// A golden file (formats/golden.md): one safetensors file with `__metadata__`
/// `{"format": "vlmkit-golden", "version": "1", …}`, `input.*` tensors and `expected.*` tensors.
public struct GoldenFile: Sendable {
    public static let format = "vlmkit-golden"
    public static let supportedVersion = "1"

    public let path: String
    public let metadata: [String: String]
    public let inputs: RunInputs
    public let expected: Expected

    public struct Expected: Sendable {
        public let visionFeatures: Tensor?
        public let projected: Tensor?
        public let logits: Tensor
        public let generatedIDs: [Int64]?
    }

    public enum GoldenError: Error, CustomStringConvertible, Equatable {
        case notGolden(file: String, found: String?)
        case futureVersion(file: String, version: String)
        case missingTensor(file: String, name: String)
        case badTensor(file: String, name: String, detail: String)

        public var description: String {
            switch self {
            case let .notGolden(f, found):
                return "\(f): not a golden file (__metadata__ format is \(found.map { "\"\($0)\"" } ?? "absent"), expected \"\(GoldenFile.format)\")"
            case let .futureVersion(f, v):
                return "\(f): golden format version \"\(v)\" is not supported (this vlmkit reads version \(GoldenFile.supportedVersion))"
            case let .missingTensor(f, n): return "\(f): missing tensor '\(n)'"
            case let .badTensor(f, n, d): return "\(f): tensor '\(n)': \(d)"
            }
        }
    }

    /// Reads a golden file. With `requireExpected: false` any safetensors file with `input.*`
    /// tensors is accepted (what `vlmkit run --inputs` takes).
    public init(path: String, requireExpected: Bool = true) throws {
        let file = try SafetensorsFile(path: path)
        self.path = path
        metadata = file.metadata
        if requireExpected {
            guard metadata["format"] == Self.format else { throw GoldenError.notGolden(file: path, found: metadata["format"]) }
            guard metadata["version"] == Self.supportedVersion else {
                throw GoldenError.futureVersion(file: path, version: metadata["version"] ?? "(absent)")
            }
        }
        inputs = try Self.readInputs(file)
        let n = inputs.imageCount
        func floats(_ name: String, rank: Int) throws -> Tensor? {
            guard let info = file.info(name) else { return nil }
            guard info.dtype == .f32, info.shape.rank == rank else {
                throw GoldenError.badTensor(file: path, name: name, detail: "expected F32 of rank \(rank), found \(info.dtype.rawValue) \(info.shape)")
            }
            return try Self.finite(try file.float32(name), name: name, file: path)
        }
        let vision = try floats("expected.vision_features", rank: 3)
        let projected = try floats("expected.projected", rank: 3)
        for (name, t) in [("expected.vision_features", vision), ("expected.projected", projected)] {
            if let t, t.shape[0] != n {
                throw GoldenError.badTensor(file: path, name: name, detail: "has \(t.shape[0]) images, the prompt has \(n)")
            }
        }
        let logits = try floats("expected.logits", rank: 2)
        if requireExpected && logits == nil { throw GoldenError.missingTensor(file: path, name: "expected.logits") }
        var generated: [Int64]? = nil
        if let info = file.info("expected.generated_ids") {
            guard info.dtype == .i64, info.shape.rank == 1 else {
                throw GoldenError.badTensor(file: path, name: "expected.generated_ids", detail: "expected I64 of rank 1, found \(info.dtype.rawValue) \(info.shape)")
            }
            generated = try file.int64("expected.generated_ids").values
        }
        expected = Expected(visionFeatures: vision, projected: projected,
                            logits: logits ?? Tensor(zeros: [0, 0]), generatedIDs: generated)
    }

    static func readInputs(_ file: SafetensorsFile) throws -> RunInputs {
        let path = file.path
        guard let ids = file.info("input.token_ids") else { throw GoldenError.missingTensor(file: path, name: "input.token_ids") }
        guard ids.dtype == .i64, ids.shape.rank == 1 else {
            throw GoldenError.badTensor(file: path, name: "input.token_ids", detail: "expected I64 of rank 1, found \(ids.dtype.rawValue) \(ids.shape)")
        }
        let tokens = try file.int64("input.token_ids").values
        var pixels: Tensor? = nil
        if let px = file.info("input.pixel_values") {
            guard px.dtype == .f32, px.shape.rank == 4 else {
                throw GoldenError.badTensor(file: path, name: "input.pixel_values", detail: "expected F32 [N, 3, H, W], found \(px.dtype.rawValue) \(px.shape)")
            }
            pixels = try finite(try file.float32("input.pixel_values"), name: "input.pixel_values", file: path)
        }
        var grids: [TileGrid]? = nil
        if let g = file.info("input.grids") {
            guard g.dtype == .i64, g.shape.rank == 2, g.shape[1] == 2 else {
                throw GoldenError.badTensor(file: path, name: "input.grids", detail: "expected I64 [N, 2] (rows, cols per image), found \(g.dtype.rawValue) \(g.shape)")
            }
            let v = try file.int64("input.grids").values
            guard v.allSatisfy({ (1...64).contains($0) }) else {
                throw GoldenError.badTensor(file: path, name: "input.grids", detail: "holds a side outside 1…64")
            }
            grids = stride(from: 0, to: v.count, by: 2).map { TileGrid(rows: Int(v[$0]), cols: Int(v[$0 + 1])) }
        }
        return RunInputs(tokenIDs: tokens, pixelValues: pixels, grids: grids)
    }

    /// A golden value that is NaN or infinite compares false with everything: the file is bad input.
    static func finite(_ t: Tensor, name: String, file: String) throws -> Tensor {
        if let i = t.data.firstIndex(where: { !$0.isFinite }) {
            throw GoldenError.badTensor(file: file, name: name, detail: "holds \(t.data[i]) at element \(i); a golden value must be finite")
        }
        return t
    }

    /// A tolerance recorded in the metadata (`tolerance.<name>`), if any.
    /// Text that is not a number is an error (exit 2), never silently the default.
    public func tolerance(_ name: String) throws -> Double? {
        guard let text = metadata["tolerance." + name] else { return nil }
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
            throw VerificationError.badToleranceText(file: path, name: name, text: text)
        }
        return v
    }
}

/// Writes what `vlmkit run --dump` produces.
public enum RunDump {
    public static func write(_ o: RunOutputs, to path: String, metadata: [String: String]) throws {
        var w = SafetensorsWriter(metadata: metadata)
        if let v = o.visionFeatures { try w.add("vision_features", tensor: v) }
        if let p = o.projected { try w.add("projected", tensor: p) }
        try w.add("logits", tensor: o.logits)
        if !o.generatedIDs.isEmpty { try w.add("generated_ids", int64: o.generatedIDs, shape: [o.generatedIDs.count]) }
        try w.write(to: path)
    }
}
