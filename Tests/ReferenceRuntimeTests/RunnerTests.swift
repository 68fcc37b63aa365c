import Testing
import TestSupport
import TensorCore
import ModelGraph
@testable import ReferenceRuntime

@Suite struct RunnerTests {
    func runner(_ name: String) throws -> VLMRunner {
        try VLMRunner(try ModelLoader.load(TestFiles.golden("models/" + name)))
    }

    /// Decoding through the KV cache gives the same logits as recomputing the whole sequence.
    @Test func kvCacheDecodingEqualsFullRecomputation() throws {
        let r = try runner("vila-clip-mlp2x-bf16-sharded")  // GQA + llama3 rope
        let ids = [1, 50, 60, 70, 80, 90]
        let embed = try r.llm.embeddings(of: ids)
        var fullCache = r.llm.makeCache()
        let full = r.llm.forward(embed, tokens: ids.count, cache: &fullCache, allLogits: true)
        var cache = r.llm.makeCache()
        _ = r.llm.forward(Array(embed.prefix(3 * 64)), tokens: 3, cache: &cache, allLogits: true)
        for t in 3..<ids.count {
            let step = r.llm.forward(try r.llm.embedding(of: ids[t]), tokens: 1, cache: &cache, allLogits: false)
            let want = full[(t * 512)..<((t + 1) * 512)]
            #expect(zip(step, want).allSatisfy { abs($0 - $1) <= 1e-4 })
        }
    }

    @Test func inputErrorsAreTyped() throws {
        let r = try runner("vila-clip-linear-f16")
        #expect(throws: RunError.imageCountMismatch(markers: 1, images: 0)) {
            try r.run(RunInputs(tokenIDs: [1, -200], pixelValues: nil), maxNewTokens: 0)
        }
        #expect(throws: RunError.tokenOutOfRange(position: 1, id: 512, vocab: 512)) {
            try r.run(RunInputs(tokenIDs: [1, 512], pixelValues: nil), maxNewTokens: 0)
        }
        #expect(throws: RunError.badPixelShape(expected: [1, 3, 56, 56], found: [1, 3, 28, 28])) {
            try r.run(RunInputs(tokenIDs: [-200], pixelValues: Tensor(zeros: [1, 3, 28, 28])), maxNewTokens: 0)
        }
        // The one place ids enter the LLM checks them, whichever command calls it (eval-ppl, AWQ, run).
        #expect(throws: RunError.tokenOutOfRange(position: 2, id: 600, vocab: 512)) { try r.llm.embeddings(of: [1, 2, 600]) }
        #expect(throws: RunError.tokenOutOfRange(position: 0, id: -1, vocab: 512)) { try r.llm.embedding(of: -1) }
        #expect(throws: RunError.emptyPrompt) { try r.run(RunInputs(tokenIDs: [], pixelValues: nil), maxNewTokens: 0) }
        #expect(throws: RunError.tooLong(positions: 601, limit: 512)) {
            try r.run(RunInputs(tokenIDs: [1], pixelValues: nil), maxNewTokens: 600)
        }
    }

    @Test func resultsDoNotDependOnTheThreadCount() throws {
        let r = try runner("vila-siglip-downsample-f32")
        let px = Tensor(shape: [1, 3, 70, 70], data: (0..<(3 * 70 * 70)).map { Float($0 % 97) / 50 - 1 })
        let inputs = RunInputs(tokenIDs: [1, -200, 5], pixelValues: px)
        let one = try Parallel.withThreads(1) { try r.run(inputs, maxNewTokens: 3) }
        let two = try Parallel.withThreads(2) { try r.run(inputs, maxNewTokens: 3) }
        #expect(one.logits == two.logits && one.projected == two.projected && one.generatedIDs == two.generatedIDs)
    }
}
