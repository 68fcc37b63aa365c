import Foundation
import ModelGraph
import TensorCore
import TensorIO

/// One finished layer of an AWQ run (`layer-NNNNN.safetensors` in the run folder): every slot
/// of the layer encoded exactly as the quantized folder stores it, with the numbers the report
/// and manifest need, and the layer's AWQ choices. Doubles are kept as their bit patterns, so a
/// resumed run reports and writes what an uninterrupted one does.
enum AWQLayerFile {
    static func name(_ layer: Int) -> String { "layer-" + padded(layer) + ".safetensors" }
    static func inputsName(_ layer: Int) -> String { "inputs-after-" + padded(layer) + ".f32" }

    static func padded(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 5 - s.count)) + s
    }

    static func bits(_ x: Double) -> JSONValue { .string(String(x.bitPattern, radix: 16)) }
    static func double(_ v: JSONValue?) -> Double? { v?.stringValue.flatMap { UInt64($0, radix: 16) }.map(Double.init(bitPattern:)) }

    static func write(_ encoded: [EncodedTensor], choices: [AWQSummary.Choice], clipped: Int, to path: String) throws {
        let stats: [(key: String, value: JSONValue)] = encoded.compactMap { e in
            e.report.stats.map { (e.slot, .array([bits($0.nmse), bits($0.maxAbsError), .int(Int64($0.elements))])) }
        }
        let picks: [JSONValue] = choices.map {
            .array([.int(Int64($0.layer)), .string($0.group), bits($0.alpha), bits($0.rtnLoss), bits($0.bestLoss)])
        }
        var writer = SafetensorsWriter(metadata: [
            "format": "vlmkit-awq-layer", "stats": JSONValue.object(stats).serialized,
            "choices": JSONValue.array(picks).serialized, "clipped": String(clipped),
        ])
        for e in encoded {
            for p in e.parts { try writer.add(p.name, dtype: p.dtype, shape: p.shape, bytes: p.bytes) }
        }
        try writer.write(to: path)
    }

    /// A finished layer read back: its encoded slots (for the refs given) and its choices.
    struct Finished {
        let file: SafetensorsFile
        let stats: JSONValue
        let choices: [AWQSummary.Choice]
        let clipped: Int

        init(path: String) throws {
            file = try SafetensorsFile(path: path)
            let m = file.metadata
            guard m["format"] == "vlmkit-awq-layer", let s = m["stats"], let c = m["choices"], let n = m["clipped"].flatMap({ Int($0) }) else {
                throw AWQRun.RunError.cannotResume(folder: Path.directory(of: path), reason: "\(path) is not a finished AWQ layer")
            }
            stats = try JSONParser.parse(s)
            choices = try (try JSONParser.parse(c)).arrayValue?.map { v in
                guard let a = v.arrayValue, a.count == 5, let l = a[0].intValue, let g = a[1].stringValue,
                      let alpha = double(a[2]), let rtn = double(a[3]), let best = double(a[4]) else {
                    throw AWQRun.RunError.cannotResume(folder: Path.directory(of: path), reason: "\(path): unreadable AWQ choices")
                }
                return AWQSummary.Choice(layer: l, group: g, alpha: alpha, rtnLoss: rtn, bestLoss: best)
            } ?? []
            clipped = n
        }

        /// The slot's stored tensors as the quantizer would have encoded them.
        func encoded(_ ref: TensorRef, scheme: QuantScheme?) throws -> EncodedTensor {
            let parts = try EncodedTensor.layout(ref, scheme: scheme).map { l -> EncodedTensor.Part in
                guard let info = file.info(l.name), info.dtype == l.dtype, info.shape == l.shape else {
                    throw AWQRun.RunError.cannotResume(folder: Path.directory(of: file.path),
                                                       reason: "\(file.path) has no \(l.dtype.rawValue) \(l.shape) tensor '\(l.name)'")
                }
                return EncodedTensor.Part(name: l.name, dtype: l.dtype, shape: l.shape, bytes: try file.withBytes(l.name) { Array($0) })
            }
            var stats: QuantStats? = nil
            if scheme != nil {
                guard let a = self.stats[ref.slot]?.arrayValue, a.count == 3, let nmse = double(a[0]), let maxAbs = double(a[1]),
                      let n = a[2].intValue else {
                    throw AWQRun.RunError.cannotResume(folder: Path.directory(of: file.path), reason: "\(file.path): no statistics for \(ref.slot)")
                }
                stats = QuantStats(nmse: nmse, maxAbsError: maxAbs, elements: n)
            }
            return EncodedTensor(ref, scheme: scheme, parts: parts, stats: stats)
        }
    }
}
