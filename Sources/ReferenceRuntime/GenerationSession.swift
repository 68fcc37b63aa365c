import Foundation

/// Where the time of one `feed` went.
public struct FeedTiming: Sendable {
    public var images = 0
    /// Vision tower + projector, seconds.
    public var imageSeconds = 0.0
    public var tokens = 0
    /// Language model over the prompt, seconds.
    public var prefillSeconds = 0.0
}

/// A conversation with the model: prompts are fed into one KV cache, turn after turn, and the
/// answer is generated token by token through it.
public final class GenerationSession {
    public let runner: VLMRunner
    var cache: LlamaRunner.KVCache
    var lastLogits: [Float] = []
    /// Positions in the cache.
    public var length: Int { cache.length }
    public var limit: Int { runner.config.llm.maxPositionEmbeddings }

    public init(runner: VLMRunner) {
        self.runner = runner
        cache = runner.llm.makeCache()
    }

    /// Appends a prompt (ids with −200 per image, and those images' pixels) to the cache.
    /// Checked against the model first: image count and shape, token range, room left.
    @discardableResult
    public func feed(_ inputs: RunInputs) throws -> FeedTiming {
        try runner.validate(inputs)
        let n = inputs.imageCount
        let planned = runner.splicedLength(inputs)
        guard cache.length + planned <= limit else {
            throw RunError.tooLong(positions: cache.length + planned, limit: limit)
        }
        var timing = FeedTiming()
        let t0 = Date()
        // Vision first (timed apart), then the text embeddings around it.
        let (embeddings, _, _) = try runner.spliceEmbeddings(inputs)
        let t1 = Date()
        timing.images = n
        timing.imageSeconds = n == 0 ? 0 : t1.timeIntervalSince(t0)
        let tokens = embeddings.count / runner.config.llm.hiddenSize
        lastLogits = runner.llm.forward(embeddings, tokens: tokens, cache: &cache, allLogits: false)
        timing.tokens = tokens
        timing.prefillSeconds = Date().timeIntervalSince(t1)
        return timing
    }

    /// Generates up to `maxNewTokens` tokens after what was fed. Each token is passed to
    /// `onToken` as soon as it is chosen; generation ends early at a stop id (which is returned
    /// and kept in the cache, as the template expects before the next turn) or when `onToken`
    /// returns false.
    public func generate(maxNewTokens: Int, sampler: inout Sampler, stopIDs: Set<Int>, onToken: (Int) -> Bool) throws -> [Int] {
        guard !lastLogits.isEmpty else { return [] }
        var out: [Int] = []
        while out.count < maxNewTokens {
            guard cache.length < limit else { break }
            let token = sampler.next(lastLogits[...])
            out.append(token)
            // The chosen token enters the cache, so that a later turn continues after it.
            lastLogits = runner.llm.forward(try runner.llm.embedding(of: token), tokens: 1, cache: &cache, allLogits: false)
            if stopIDs.contains(token) || !onToken(token) { break }
        }
        return out
    }
}
