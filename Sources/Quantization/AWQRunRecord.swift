import Foundation
import ModelGraph
import TensorCore
import TensorIO

/// What an AWQ run was started on, kept in its run folder (`run.json`) so that `--resume` can
/// refuse a run whose model, recipe, settings or calibration differ from the interrupted one.
///
/// The model is identified by its weight files' names, sizes and modification times and by the
/// tensors it maps (name, dtype, shape per slot); the calibration by its sequence lengths and a
/// 64-bit FNV-1a digest of its token ids and pixel values. Changing a weight file in place
/// without touching its size or modification time is not detected.
struct AWQRunRecord: Equatable {
    static let format = "vlmkit-awq-run"
    static let version = "1"

    var model: JSONValue
    var recipe: String
    var settings: String
    var calibration: JSONValue
    var layers: Int

    init(graph: VLMGraph, recipe: QuantRecipe, settings: AWQ.Settings, calibration: CalibrationData) throws {
        var files: [JSONValue] = []
        for file in Set(graph.tensors.map { $0.info.file }).sorted() {
            let attrs = try FileManager.default.attributesOfItem(atPath: file)
            let size = (attrs[.size] as? Int) ?? -1
            let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let rel = file.hasPrefix(graph.path + "/") ? String(file.dropFirst(graph.path.count + 1)) : file
            files.append(.object([("file", .string(rel)), ("size", .int(Int64(size))), ("modified", .string("\(mtime)"))]))
        }
        var tensors = FNV1a64()
        for t in graph.tensors { tensors.add("\(t.slot)|\(t.source)|\(t.dtype.rawValue)|\(t.shape.dims)\n") }
        model = .object([("files", .array(files)), ("tensors", .string(tensors.hex))])
        self.recipe = recipe.description
        self.settings = "search_tokens=\(settings.searchTokens) clip_tokens=\(settings.clipTokens) clip=\(settings.clip) grid=\(AWQ.grid) max_shrink=\(AWQ.maxShrink)"
        var digest = FNV1a64()
        for s in calibration.sequences { s.withUnsafeBytes { digest.add($0) }; digest.add("|") }
        if let px = calibration.pixelValues {
            px.data.withUnsafeBytes { digest.add($0) }
            digest.add("\(px.shape.dims)")
        }
        if let g = calibration.grids { digest.add("grids \(g)") }
        self.calibration = .object([("sequences", .int(Int64(calibration.sequences.count))),
                                    ("tokens", .int(Int64(calibration.tokenCount))), ("digest", .string(digest.hex))])
        layers = graph.config.llm.numLayers
    }

    init(json: JSONValue, file: String) throws {
        guard json["format"]?.stringValue == Self.format, json["version"]?.stringValue == Self.version,
              let model = json["model"], let recipe = json["recipe"]?.stringValue, let settings = json["settings"]?.stringValue,
              let calibration = json["calibration"], let layers = json["layers"]?.intValue else {
            throw AWQRun.RunError.cannotResume(folder: Path.directory(of: file), reason: "\(file) is not a VLMKit AWQ run record")
        }
        self.model = model
        self.recipe = recipe
        self.settings = settings
        self.calibration = calibration
        self.layers = layers
    }

    var json: JSONValue {
        .object([("format", .string(Self.format)), ("version", .string(Self.version)), ("model", model),
                 ("recipe", .string(recipe)), ("settings", .string(settings)), ("calibration", calibration),
                 ("layers", .int(Int64(layers)))])
    }

    /// Why a run recorded as `self` cannot be continued with `now`, or nil when it can.
    func mismatch(_ now: AWQRunRecord) -> String? {
        if model != now.model {
            return "the model differs from the interrupted run's (its weight files' names, sizes or modification times, or its tensors)"
        }
        if recipe != now.recipe { return "the recipe differs (interrupted run: \(recipe); now: \(now.recipe))" }
        if settings != now.settings { return "the AWQ settings differ (interrupted run: \(settings); now: \(now.settings))" }
        if calibration != now.calibration {
            return "the calibration differs (interrupted run: \(calibration.serialized); now: \(now.calibration.serialized))"
        }
        if layers != now.layers { return "the layer count differs (\(layers) → \(now.layers))" }
        return nil
    }
}

/// 64-bit FNV-1a, for fingerprints that tell two inputs apart (not for security).
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        value = h
    }

    mutating func add(_ text: String) {
        var t = text
        t.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
