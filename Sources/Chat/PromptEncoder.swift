import Tokenizer

public struct PromptError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// Prompt text → token ids with −200 where each image goes, as VILA's `tokenizer_image_token`.
public enum PromptEncoder {
    public static let imageMarker = "<image>"
    public static let imageTokenID: Int64 = -200

    /// VILA's run script: a question without `<image>` gets one "<image>\n" per image in front.
    /// Otherwise the number of markers must equal the number of images.
    public static func placeImages(in question: String, imageCount: Int) throws -> String {
        let markers = question.components(separatedBy: imageMarker).count - 1
        if markers == 0 { return String(repeating: imageMarker + "\n", count: imageCount) + question }
        guard markers == imageCount else {
            throw PromptError(message: "the prompt has \(markers) <image> marker(s) but \(imageCount) image(s) were given")
        }
        return question
    }

    /// Splits at every `<image>`, encodes each chunk with the tokenizer's special tokens, and
    /// joins them with −200. When chunks start with the beginning-of-sequence token, it is kept
    /// once at the front and removed from every chunk (VILA's offset rule).
    public static func encode(_ prompt: String, tokenizer: TextTokenizer) -> [Int64] {
        let chunks = prompt.components(separatedBy: imageMarker).map { tokenizer.encode($0, addSpecialTokens: true) }
        var ids: [Int64] = []
        var offset = 0
        if let first = chunks.first?.first, first == tokenizer.bosID {
            offset = 1
            ids.append(Int64(first))
        }
        for (i, chunk) in chunks.enumerated() {
            if i > 0 { ids.append(imageTokenID) }
            ids += chunk.dropFirst(offset).map(Int64.init)
        }
        return ids
    }

    /// Text for a later turn of a conversation, appended to a KV cache that already holds
    /// everything before it: no beginning-of-sequence token.
    public static func encodeContinuation(_ text: String, tokenizer: TextTokenizer) -> [Int64] {
        let chunks = text.components(separatedBy: imageMarker).map { tokenizer.encode($0, addSpecialTokens: false) }
        var ids: [Int64] = []
        for (i, chunk) in chunks.enumerated() {
            if i > 0 { ids.append(imageTokenID) }
            ids += chunk.map(Int64.init)
        }
        return ids
    }
}
