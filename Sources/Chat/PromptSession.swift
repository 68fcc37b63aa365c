import Foundation
import Imaging
import ReferenceRuntime
import Tokenizer

/// One answer: what was fed, what came back, and how long it took.
public struct TurnResult: Encodable, Sendable {
    public var template: String
    public var promptIDs: [Int64]
    public var generatedIDs: [Int]
    public var text: String
    public var stopReason: String
    public var images: Int
    public var imageSeconds: Double
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double

    enum CodingKeys: String, CodingKey {
        case template, promptIDs = "prompt_ids", generatedIDs = "generated_ids", text, stopReason = "stop_reason", images
        case imageSeconds = "image_seconds", promptTokens = "prompt_tokens", prefillSeconds = "prefill_seconds"
        case decodeSeconds = "decode_seconds"
    }

    public var timingLine: String {
        func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
        func rate(_ n: Int, _ s: Double) -> String { s > 0 ? String(format: "%.1f tok/s", Double(n) / s) : "-" }
        var parts: [String] = []
        if images > 0 { parts.append("vision: \(images) image(s) in \(ms(imageSeconds)) (\(ms(imageSeconds / Double(images))) each)") }
        parts.append("prefill: \(promptTokens) tokens in \(ms(prefillSeconds)) (\(rate(promptTokens, prefillSeconds)))")
        parts.append("decode: \(generatedIDs.count) tokens in \(ms(decodeSeconds)) (\(rate(generatedIDs.count, decodeSeconds)))")
        return parts.joined(separator: " | ") + " | stop: \(stopReason)"
    }
}

/// A conversation as `vlmkit run` holds it: the template's text around each question, images
/// preprocessed, answers streamed through one KV cache.
public final class PromptSession {
    public let assets: ModelAssets
    public let session: GenerationSession
    public let template: ConversationTemplate
    public let stopIDs: Set<Int>
    let aspect: AspectMode?
    var sampler: Sampler
    let maxNewTokens: Int
    var turns = 0

    public init(assets: ModelAssets, runner: VLMRunner, template: ConversationTemplate, sampling: SamplingOptions,
         maxNewTokens: Int, aspect: AspectMode?) {
        self.assets = assets
        session = GenerationSession(runner: runner)
        self.template = template
        stopIDs = assets.stopIDs(template: template)
        sampler = Sampler(sampling)
        self.maxNewTokens = maxNewTokens
        self.aspect = aspect
    }

    /// The ids this turn feeds: the whole templated prompt first, later only the continuation.
    /// A chat template is re-rendered over the whole conversation, and what the cache already
    /// holds (earlier prompts and answers, as generated) must be its beginning.
    public func promptIDs(question: String, imageCount: Int, tilesPerImage: [Int]? = nil) throws -> [Int64] {
        let tokenizer = assets.tokenizer
        guard template.style == .chatTemplate else {
            let text = try placed(question, imageCount: imageCount, tilesPerImage: tilesPerImage)
            if turns == 0 { return PromptEncoder.encode(try template.prompt([text, nil]), tokenizer: tokenizer, media: assets.media) }
            return PromptEncoder.encodeContinuation(template.continuation(user: text), tokenizer: tokenizer, media: assets.media)
        }
        let text = try placed(question, imageCount: imageCount, tilesPerImage: tilesPerImage)
        let full = try template.prompt(history + [text, nil])
        if turns == 0 { return PromptEncoder.encodeWhole(full, tokenizer: tokenizer, media: assets.media) }
        guard full.unicodeScalars.starts(with: fedText.unicodeScalars) else {
            throw PromptError(message: "\(template.chat!.origin) renders the earlier turns otherwise than the model saw them (it rewrites past messages); this conversation cannot continue in the same cache — start a new one")
        }
        return PromptEncoder.encodeContinuation(String(full.unicodeScalars.dropFirst(fedText.unicodeScalars.count)), tokenizer: tokenizer, media: assets.media)
    }

    /// The question with its images placed as the template's code does (VILA 1.5: "<image>\n" per
    /// image; chat templates, NVILA: "<image>" per image) and NVILA-Lite's tiles expanded.
    func placed(_ question: String, imageCount: Int, tilesPerImage: [Int]?) throws -> String {
        let separator = template.style == .chatTemplate ? "" : "\n"
        return try PromptEncoder.expandTiles(try PromptEncoder.placeImages(in: question, imageCount: imageCount, separator: separator), tilesPerImage)
    }

    /// For chat templates: the messages so far, and the text the cache holds.
    var history: [String?] = []
    var fedText = ""

    /// Feeds one question (with its images) and generates the answer; `emit` receives text as
    /// it becomes final.
    public func ask(_ question: String, images: [String], emit: (String) -> Void) throws -> TurnResult {
        let prepared = try assets.pixelValues(images, aspectOverride: aspect)
        let ids = try promptIDs(question: question, imageCount: images.count, tilesPerImage: prepared.tilesPerImage)
        let placedText = try placed(question, imageCount: images.count, tilesPerImage: prepared.tilesPerImage)
        let timing = try session.feed(RunInputs(tokenIDs: ids, pixelValues: prepared.pixels, grids: prepared.grids))
        turns += 1

        var detok = StreamingDetokenizer(tokenizer: assets.tokenizer)
        var filter = StopStringFilter(stop: template.stopString)
        var reason = "max-new-tokens"
        let start = Date()
        let generated = try session.generate(maxNewTokens: maxNewTokens, sampler: &sampler, stopIDs: stopIDs) { token in
            let (text, stopped) = filter.push(detok.append(token))
            emit(text)
            if stopped { reason = "stop string \(template.stopString.debugDescription)" }
            return !stopped
        }
        if let last = generated.last, stopIDs.contains(last) { reason = "stop token \(last)" }
        if reason == "max-new-tokens" && session.length >= session.limit { reason = "context full (\(session.limit) positions)" }
        if !filter.stopped { emit(filter.flush(detok.finish())) }
        if template.style == .chatTemplate {
            fedText = try template.prompt(history + [placedText, nil]) + assets.tokenizer.decode(generated)
            history += [placedText, filter.text]
        }
        return TurnResult(template: template.name, promptIDs: ids, generatedIDs: generated, text: filter.text, stopReason: reason, images: timing.images,
                          imageSeconds: timing.imageSeconds, promptTokens: timing.tokens, prefillSeconds: timing.prefillSeconds,
                          decodeSeconds: Date().timeIntervalSince(start))
    }
}

/// VILA's keyword stop on the decoded text: text that might be the start of the stop string is
/// held back until it is clear; once the stop string appears, everything from it on is dropped.
public struct StopStringFilter {
    public let stop: String
    var pending = ""
    public private(set) var text = ""
    public private(set) var stopped = false

    public init(stop: String) { self.stop = stop }

    public mutating func push(_ piece: String) -> (String, Bool) {
        guard !stopped else { return ("", true) }
        pending += piece
        if let r = pending.range(of: stop) {
            let out = String(pending[..<r.lowerBound])
            text += out
            pending = ""
            stopped = true
            return (out, true)
        }
        // Keep the longest tail of `pending` that is a prefix of the stop string.
        var keep = 0
        for n in stride(from: min(stop.count - 1, pending.count), through: 1, by: -1) where stop.hasPrefix(String(pending.suffix(n))) {
            keep = n
            break
        }
        let out = String(pending.dropLast(keep))
        pending = String(pending.suffix(keep))
        text += out
        return (out, false)
    }

    public mutating func flush(_ tail: String) -> String {
        let (out, _) = push(tail)
        guard !stopped else { return out }
        let rest = pending
        text += rest
        pending = ""
        return out + rest
    }
}
