import TensorIO

/// What VILA's code puts around each image's features in the LLM input. The NVILA release
/// (NVlabs/VILA 36f6adc, llava/model/encoders/image/basic.py) embeds `start_tokens` before and
/// `end_tokens` after every image's features, both tokenized by the LLM's tokenizer
/// (`tokenizer(text).input_ids`, special tokens included); its `LlavaConfig` default is
/// `BasicImageEncoder` with end_tokens "\n". VILA 1.5 (1c88211) has no encoder: the features
/// replace the image token and nothing is added.
public struct ImageEncoderConfig: Sendable, Equatable, Encodable {
    public var startTokens: String?
    public var endTokens: String?
    /// Why these tokens: the config's `image_encoder`, or the NVILA release's default.
    public var reason: String

    enum CodingKeys: String, CodingKey { case startTokens = "start_tokens", endTokens = "end_tokens", reason }

    public static let target = "llava.model.encoders.BasicImageEncoder"

    /// From `image_encoder` (a JSON string or object) when present; otherwise the NVILA
    /// release's default when `nvilaRelease` gives a reason the config is from that release; nil
    /// for VILA 1.5 configs.
    static func read(_ top: ConfigObject, file: String, nvilaRelease: String?) throws -> ImageEncoderConfig? {
        guard let raw = top.value("image_encoder") else {
            guard let why = nvilaRelease else { return nil }
            return ImageEncoderConfig(startTokens: nil, endTokens: "\n", reason: "the NVILA release's default BasicImageEncoder; \(why)")
        }
        var json = raw
        if case let .string(text) = raw {
            do { json = try JSONParser.parse(text) } catch {
                throw ConfigError.invalidValue(file: file, key: "image_encoder", detail: "is a string that is not JSON (\(error))")
            }
        }
        let o = try ConfigObject(json: json, file: file, keyPath: "image_encoder")
        let targetName = try o.string("_target_")
        guard targetName == target else {
            throw ConfigError.unsupported(file: file, detail: "image_encoder \(targetName.map { "\"\($0)\"" } ?? "without _target_") is not supported; vlmkit implements \(target) only")
        }
        guard case let .object(members) = o.json else { preconditionFailure("ConfigObject holds an object") }
        var out = ImageEncoderConfig(startTokens: nil, endTokens: "\n", reason: "config.json image_encoder")
        for (key, value) in members where key != "_target_" {
            let text: String?
            switch value {
            case .null: text = nil
            case let .string(s): text = s
            default:
                throw ConfigError.wrongType(file: file, key: "image_encoder." + key, expected: "a string or null", found: value.serialized)
            }
            switch key {
            case "start_tokens": out.startTokens = text
            case "end_tokens": out.endTokens = text
            default:
                throw ConfigError.unsupported(file: file, detail: "image_encoder.\(key) is not a BasicImageEncoder argument vlmkit implements (start_tokens, end_tokens)")
            }
        }
        return out
    }
}
