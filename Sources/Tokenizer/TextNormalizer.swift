import Foundation
import TensorIO

/// A tokenizer.json `normalizer` for byte-level BPE: Unicode normal forms (Qwen2 ships NFC),
/// Lowercase, and Sequence of them, applied to each run of text between added tokens before it is
/// pre-tokenized, as `tokenizers` does. Other components are refused by name.
public indirect enum TextNormalizer: Sendable {
    case nfc, nfd, nfkc, nfkd, lowercase
    case sequence([TextNormalizer])

    /// nil when the file has none.
    public static func read(_ json: JSONValue?) throws -> TextNormalizer? {
        guard let json, json != .null else { return nil }
        return try parse(json)
    }

    static func parse(_ j: JSONValue) throws -> TextNormalizer {
        let type = j["type"]?.stringValue ?? "(no type)"
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Sequence":
            guard let list = j["normalizers"]?.arrayValue else {
                throw ByteLevelBPETokenizer.LoadError(detail: "normalizer: Sequence has no normalizers list")
            }
            return .sequence(try list.map(parse))
        default:
            throw ByteLevelBPETokenizer.LoadError(detail: "normalizer: \(type) is not supported for byte-level BPE (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)")
        }
    }

    public func apply(_ text: String) -> String {
        switch self {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return text.lowercased()
        case .sequence(let steps): return steps.reduce(text) { $1.apply($0) }
        }
    }
}
