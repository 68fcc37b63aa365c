import ModelGraph
import Quantization
import TensorIO

/// Calibration data for AWQ from a file: a safetensors prompt, whitespace-separated token ids, or
/// plain text tokenized with the model's own tokenizer.
public enum CalibrationInput {
    public static func load(_ path: String, model: String, layout: LayoutKind, tokens: Int, sequenceLength: Int, vocab: Int) throws -> CalibrationData {
        if path.hasSuffix(".safetensors") {
            return try CalibrationData.load(path, tokens: tokens, sequenceLength: sequenceLength, vocab: vocab)
        }
        let content = try TextFile.read(path)
        let words = content.split(whereSeparator: { $0.isWhitespace })
        if !words.isEmpty && words.allSatisfy({ Int64($0) != nil }) {
            return try CalibrationData.load(path, tokens: tokens, sequenceLength: sequenceLength, vocab: vocab)
        }
        let ids = try ModelTokenizer.load(model, layout: layout).encode(content, addSpecialTokens: false).prefix(tokens).map(Int64.init)
        guard !ids.isEmpty else { throw CalibrationData.LoadError.empty(file: path) }
        return CalibrationData(ids: ids, sequenceLength: sequenceLength)
    }
}
