import Foundation
import ModelGraph
import ReferenceRuntime
import TensorCore
import TensorIO
import CKernels

/// AWQ on a model of any size, layer by layer (formats/quantization.md, "AWQ runs"):
///
/// - only the current decoder layer's weights are in f32 (read from the mapped checkpoint,
///   released after), with the calibration activations of that layer;
/// - each layer is encoded (scaled, clipped, rounded) and written to the run folder
///   `OUTPUT.awq-run/` as soon as its search ends, with the next layer's inputs beside it;
/// - the quantized folder is then assembled from the finished layers and the rest of the
///   checkpoint, atomically (temporary folder, renamed), and the run folder removed.
///
/// An interrupted run (Ctrl-C, SIGKILL, power loss) leaves the run folder; `resume` continues
/// from the last finished layer, after checking that model, recipe, settings and calibration are
/// those of the interrupted run. Every file in the run folder is written atomically, so the
/// result is byte-identical to an uninterrupted run.
public enum AWQRun {
    public enum RunError: Error, CustomStringConvertible {
        case interruptedRunExists(folder: String)
        case cannotResume(folder: String, reason: String)

        public var description: String {
            switch self {
            case .interruptedRunExists(let f):
                return "\(f): an interrupted AWQ run for this output is here; pass --resume to continue it, or remove the folder to start over"
            case let .cannotResume(f, r):
                return "\(f): cannot resume: \(r); remove the folder to start over"
            }
        }
    }

    public enum Event: Sendable {
        /// A new run keeps its state in this folder until the output is written.
        case started(runFolder: String)
        /// A resumed run found `finished` layers done.
        case resumed(finished: Int, of: Int)
        /// The search is at this step.
        case step(AWQ.Step)
        /// The finished layers are assembled into the output (done, total tensors).
        case assembling(done: Int, total: Int)
    }

    public static func runFolder(for output: String) -> String {
        (output.hasSuffix("/") ? String(output.dropLast()) : output) + ".awq-run"
    }

    public static func quantize(_ graph: VLMGraph, calibration: CalibrationData, to output: String,
                                options: ModelQuantizer.Options, settings: AWQ.Settings = AWQ.Settings(), resume: Bool,
                                events: @escaping (Event) -> Void = { _ in }) throws -> QuantizeReport {
        let start = Date()
        let out = output.hasSuffix("/") ? String(output.dropLast()) : output
        guard !Path.exists(out) else { throw ModelQuantizer.WriteError.outputExists(out) }
        // Group sizes are checked before hours of search, not at the assembly.
        let schemes = try ModelQuantizer.schemes(graph, recipe: options.recipe)
        let folder = runFolder(for: out)
        let record = try AWQRunRecord(graph: graph, recipe: options.recipe, settings: settings, calibration: calibration)
        let layers = graph.config.llm.numLayers
        let finished = try prepareFolder(folder, record: record, resume: resume, layers: layers)
        if resume { removeStaleAssembly(of: out) }
        if finished > 0 { events(.resumed(finished: finished, of: layers)) } else if !resume { events(.started(runFolder: folder)) }

        let weights = GraphWeights(graph, allowNonFinite: options.allowNonFinite)
        var cal = try AWQ.Calibrated(weights: weights, calibration: calibration, settings: settings)
        var x = cal.takeInputs()
        if finished > 0 && finished < layers {
            x = try readInputs(Path.join(folder, AWQLayerFile.inputsName(finished - 1)), count: x.count, folder: folder)
        }
        let refs = Dictionary(uniqueKeysWithValues: graph.tensors.map { ($0.slot, $0) })
        for l in finished..<layers {
            let outcome = try AWQ.searchLayer(l, inputs: &x, weights: weights, recipe: options.recipe, calibrated: cal,
                                              settings: settings, threads: options.threads) {
                events(.step(AWQ.Step(layer: l, layers: layers, group: $0)))
            }
            var encoded: [EncodedTensor] = []
            for (slot, values) in zip(try LlamaDecoderFamily.layer(l, SlotNames()).all, outcome.rewritten.all) {
                guard let ref = refs[slot] else { throw MissingWeight(slot: slot) }
                encoded.append(try EncodedTensor.encode(ref, values: values, scheme: schemes[slot], threads: options.threads))
            }
            // The next layer's inputs first, then the layer: a layer file on disk always has its
            // successor's inputs beside it.
            if l + 1 < layers { try writeInputs(x, to: Path.join(folder, AWQLayerFile.inputsName(l))) }
            try AWQLayerFile.write(encoded, choices: outcome.choices, clipped: outcome.clipped, to: Path.join(folder, AWQLayerFile.name(l)))
            if l > 0 { try? FileManager.default.removeItem(atPath: Path.join(folder, AWQLayerFile.inputsName(l - 1))) }
            events(.step(AWQ.Step(layer: l, layers: layers, group: nil)))
            // A layer's buffers are freed now; hand the pages back to the system, so that the
            // allocator's per-thread arenas do not keep every layer's high-water mark.
            vlm_release_free_memory()
        }
        x = []

        // Assemble: the finished layers' slots from the run folder, the rest from the checkpoint.
        var summary = AWQSummary()
        summary.calibrationTokens = cal.tokens
        let cache = LayerCache(folder: folder)
        for l in 0..<layers {
            let f = try cache.layer(l)
            summary.choices += f.choices
            summary.clippedTensors += f.clipped
        }
        var quantizer = options
        quantizer.method = "awq"
        quantizer.overrides = [:]
        let layerSlots = try Dictionary(uniqueKeysWithValues: (0..<layers).flatMap { l in
            try LlamaDecoderFamily.layer(l, SlotNames()).all.map { ($0, l) }
        })
        quantizer.encoded = { slot in
            guard let l = layerSlots[slot], let ref = refs[slot] else { return nil }
            return try cache.layer(l).encoded(ref, scheme: schemes[slot])
        }
        summary.seconds = Date().timeIntervalSince(start)
        quantizer.awq = summary
        let report = try ModelQuantizer.quantize(graph, to: out, options: quantizer) { events(.assembling(done: $0, total: $1)) }
        try? FileManager.default.removeItem(atPath: folder)
        return report
    }

    /// Creates the run folder, or checks an existing one; returns how many layers are finished.
    static func prepareFolder(_ folder: String, record: AWQRunRecord, resume: Bool, layers: Int) throws -> Int {
        let recordPath = Path.join(folder, "run.json")
        if Path.exists(folder) {
            guard resume else { throw RunError.interruptedRunExists(folder: folder) }
            guard Path.isRegularFile(recordPath) else {
                throw RunError.cannotResume(folder: folder, reason: "it has no run.json (not an AWQ run folder, or interrupted before its first write)")
            }
            let before = try AWQRunRecord(json: try JSONFile.read(recordPath), file: recordPath)
            if let why = before.mismatch(record) { throw RunError.cannotResume(folder: folder, reason: why) }
            // Temporary files of writers the interruption killed (renamed into place only when complete).
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
                try? FileManager.default.removeItem(atPath: Path.join(folder, name))
            }
            var finished = 0
            while finished < layers && Path.isRegularFile(Path.join(folder, AWQLayerFile.name(finished))) { finished += 1 }
            return finished
        }
        try FileSystem.makeDirectory(folder)
        try FileSystem.writeText(record.json.pretty(sortedKeys: false) + "\n", to: recordPath)
        return 0
    }

    /// The temporary output folder (`.NAME.partial-PID`) of an assembly that was killed.
    static func removeStaleAssembly(of out: String) {
        let dir = Path.directory(of: out), prefix = "." + Path.fileName(of: out) + ".partial-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: Path.join(dir, name))
        }
    }

    static func writeInputs(_ x: [Float], to path: String) throws {
        let w = try AtomicFileWriter(path: path)
        try x.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }

    static func readInputs(_ path: String, count: Int, folder: String) throws -> [Float] {
        guard Path.isRegularFile(path) else {
            throw RunError.cannotResume(folder: folder, reason: "\(Path.fileName(of: path)) is missing (the run folder was edited)")
        }
        let file = try MappedFile(path: path)
        guard file.size == count * 4 else {
            throw RunError.cannotResume(folder: folder, reason: "\(Path.fileName(of: path)) holds \(file.size) bytes, expected \(count * 4)")
        }
        return Array(file.bytes.bindMemory(to: Float.self))
    }

    /// The finished layer files, opened one at a time (assembly reads them in layer order).
    final class LayerCache: @unchecked Sendable {
        // Unchecked Sendable: used from the one thread that assembles the output.
        let folder: String
        var current: (Int, AWQLayerFile.Finished)?
        init(folder: String) { self.folder = folder }

        func layer(_ l: Int) throws -> AWQLayerFile.Finished {
            if let c = current, c.0 == l { return c.1 }
            let path = Path.join(folder, AWQLayerFile.name(l))
            guard Path.isRegularFile(path) else { throw RunError.cannotResume(folder: folder, reason: "\(AWQLayerFile.name(l)) is missing") }
            let f = try AWQLayerFile.Finished(path: path)
            current = (l, f)
            return f
        }
    }
}
