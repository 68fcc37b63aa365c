import Tokenizer

public struct PromptError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// Token ids around each image that the model's code embeds with its features (NVILA's
/// BasicImageEncoder: `tokenizer("\n").input_ids` after every image). Embedding these ids is
/// the same as embedding the tokens, so they go into the prompt beside the image marker.
public struct MediaTokens: Sendable, Equatable {
    public var start: [Int64]
    public var end: [Int64]
    public static let none = MediaTokens(start: [], end: [])
}

/// Prompt text → token ids with −200 where each image goes.
public enum PromptEncoder {
    public static let imageMarker = "<image>"
    public static let imageTokenID: Int64 = -200

    /// Where images go when the question has no `<image>`: VILA 1.5's run script puts one
    /// "<image>\n" per image in front; NVILA's (chat templates) puts "<image>" per image in
    /// front with nothing between (llava/utils/media.py, extract_media). Otherwise the number of
    /// markers must equal the number of images.
    public static func placeImages(in question: String, imageCount: Int, separator: String = "\n") throws -> String {
        let markers = question.components(separatedBy: imageMarker).count - 1
        if markers == 0 { return String(repeating: imageMarker + separator, count: imageCount) + question }
        guard markers == imageCount else {
            throw PromptError(message: "the prompt has \(markers) <image> marker(s) but \(imageCount) image(s) were given")
        }
        return question
    }

    /// NVILA-Lite's dynamic tiles: the k-th `<image>` becomes `"<image>\n"` once per tile of the
    /// k-th image (`generate_content`'s replace); an image of one tile keeps its marker as is.
    public static func expandTiles(_ text: String, _ tilesPerImage: [Int]?) throws -> String {
        guard let counts = tilesPerImage, counts.contains(where: { $0 != 1 }) else { return text }
        let parts = text.components(separatedBy: imageMarker)
        guard parts.count - 1 == counts.count else {
            throw PromptError(message: "the prompt has \(parts.count - 1) <image> marker(s) but \(counts.count) image(s) were given")
        }
        var out = parts[0]
        for (k, part) in parts.dropFirst().enumerated() {
            out += (counts[k] == 1 ? imageMarker : String(repeating: imageMarker + "\n", count: counts[k])) + part
        }
        return out
    }

    /// VILA 1.5's `tokenizer_image_token`: splits at every `<image>`, encodes each chunk with the
    /// tokenizer's special tokens, and joins them with −200. When chunks start with the
    /// beginning-of-sequence token, it is kept once at the front and removed from every chunk.
    public static func encode(_ prompt: String, tokenizer: TextTokenizer, media: MediaTokens = .none) -> [Int64] {
        let chunks = prompt.components(separatedBy: imageMarker).map { tokenizer.encode($0, addSpecialTokens: true) }
        var ids: [Int64] = []
        var offset = 0
        if let first = chunks.first?.first, first == tokenizer.bosID {
            offset = 1
            ids.append(Int64(first))
        }
        for (i, chunk) in chunks.enumerated() {
            if i > 0 { ids += imageIDs(media) }
            ids += chunk.dropFirst(offset).map(Int64.init)
        }
        return ids
    }

    /// NVILA's: the whole text through the tokenizer once, `<image>` being a special token (the
    /// release adds it to the vocabulary): chunks between images carry no special tokens, and
    /// the tokenizer's own prefix (BOS, when it adds one) comes once in front.
    public static func encodeWhole(_ prompt: String, tokenizer: TextTokenizer, media: MediaTokens, prefix: Bool = true) -> [Int64] {
        var ids = prefix ? tokenizer.encode("", addSpecialTokens: true).map(Int64.init) : []
        for (i, chunk) in prompt.components(separatedBy: imageMarker).enumerated() {
            if i > 0 { ids += imageIDs(media) }
            ids += tokenizer.encode(chunk, addSpecialTokens: false).map(Int64.init)
        }
        return ids
    }

    static func imageIDs(_ media: MediaTokens) -> [Int64] { media.start + [imageTokenID] + media.end }

    /// Text for a later turn of a conversation, appended to a KV cache that already holds
    /// everything before it: no beginning-of-sequence token.
    public static func encodeContinuation(_ text: String, tokenizer: TextTokenizer, media: MediaTokens = .none) -> [Int64] {
        encodeWhole(text, tokenizer: tokenizer, media: media, prefix: false)
    }
}
