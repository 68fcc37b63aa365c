import Foundation
import ModelGraph
import ReferenceRuntime
import TensorCore
import TensorIO

/// Calibration prompts for AWQ: token sequences (−200 marks an image slot) and their images.
public struct CalibrationData: Sendable {
    public let sequences: [[Int64]]
    /// [N, C, H, W] for the image slots of all sequences, in order (with dynamic S2 every tile of
    /// every image); nil when text only.
    public let pixelValues: Tensor?
    /// With dynamic S2: each image's last-scale grid (`input.grids`).
    public let grids: [TileGrid]?

    public init(sequences: [[Int64]], pixelValues: Tensor?, grids: [TileGrid]? = nil) {
        self.sequences = sequences
        self.pixelValues = pixelValues
        self.grids = grids
    }

    /// Text-only calibration: `ids` cut into sequences of at most `sequenceLength`.
    public init<C: Collection>(ids: C, sequenceLength: Int) where C.Element == Int64, C.Index == Int {
        sequences = stride(from: ids.startIndex, to: ids.endIndex, by: sequenceLength).map {
            Array(ids[$0..<min(ids.endIndex, $0 + sequenceLength)])
        }
        pixelValues = nil
        grids = nil
    }

    public enum LoadError: Error, CustomStringConvertible {
        case badToken(file: String, word: String)
        case tokenOutOfRange(file: String, id: Int64, vocab: Int)
        case empty(file: String)
        case badGrids(file: String)

        public var description: String {
            switch self {
            case let .badToken(f, w): return "\(f): '\(w)' is not a token id (expected whitespace-separated integers)"
            case let .tokenOutOfRange(f, id, v): return "\(f): token id \(id) is outside the vocabulary (0..<\(v))"
            case .empty(let f): return "\(f): no calibration tokens"
            case .badGrids(let f): return "\(f): input.grids must hold (rows, cols) pairs of 1…64 per image"
            }
        }
    }

    /// A `.safetensors` file with `input.token_ids` (and optionally `input.pixel_values`) is one
    /// multimodal prompt; any other file is whitespace-separated token ids, cut into sequences of
    /// `sequenceLength`, at most `tokens` in all.
    public static func load(_ path: String, tokens: Int, sequenceLength: Int, vocab: Int) throws -> CalibrationData {
        if path.hasSuffix(".safetensors") {
            let f = try SafetensorsFile(path: path)
            let ids = try f.int64("input.token_ids").values
            for t in ids where t != RunInputs.imageToken && !(0..<Int64(vocab)).contains(t) {
                throw LoadError.tokenOutOfRange(file: path, id: t, vocab: vocab)
            }
            let px = f.info("input.pixel_values") != nil ? try f.float32("input.pixel_values") : nil
            if let px { try NonFinite.check(px.data, tensor: "input.pixel_values", file: path, allow: false) }
            var grids: [TileGrid]? = nil
            if f.info("input.grids") != nil {
                let g = try f.int64("input.grids").values
                guard g.count % 2 == 0, g.allSatisfy({ (1...64).contains($0) }) else { throw LoadError.badGrids(file: path) }
                grids = stride(from: 0, to: g.count, by: 2).map { TileGrid(rows: Int(g[$0]), cols: Int(g[$0 + 1])) }
            }
            return CalibrationData(sequences: [ids], pixelValues: px, grids: grids)
        }
        let text = try TextFile.read(path)
        var ids: [Int64] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) {
            guard let v = Int64(word) else { throw LoadError.badToken(file: path, word: String(word.prefix(20))) }
            guard (0..<Int64(vocab)).contains(v) else { throw LoadError.tokenOutOfRange(file: path, id: v, vocab: vocab) }
            ids.append(v)
            if ids.count >= tokens { break }
        }
        guard !ids.isEmpty else { throw LoadError.empty(file: path) }
        return CalibrationData(ids: ids, sequenceLength: sequenceLength)
    }

    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }
}
