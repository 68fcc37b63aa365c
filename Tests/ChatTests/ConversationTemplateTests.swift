import Chat
import ReferenceRuntime
import Testing
import Tokenizer

@Suite struct ConversationTemplateTests {
    @Test func vicunaPromptIsVILAs() throws {
        let p = try ConversationTemplate.vicunaV1.prompt(["<image>\nWhat is this?", nil])
        #expect(p == "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. USER: <image>\nWhat is this? ASSISTANT:")
        // A finished turn ends with sep2, then the next user turn.
        let two = try ConversationTemplate.vicunaV1.prompt(["Hi", "Hello", "Again", nil])
        #expect(two.hasSuffix(" USER: Hi ASSISTANT: Hello</s>USER: Again ASSISTANT:"))
        #expect(ConversationTemplate.vicunaV1.continuation(user: "Again") == "USER: Again ASSISTANT:")
    }

    @Test func llama3PromptIsVILAs() throws {
        let t = ConversationTemplate.llama3
        let p = try t.prompt(["Q", nil])
        #expect(p == t.system + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        let two = try t.prompt(["Q", "A", "Q2", nil])
        #expect(two == p + "A<|eot_id|>" + t.continuation(user: "Q2"))
        #expect(t.stopString == "<|eot_id|>")
    }

    @Test func plainAndHermes() throws {
        #expect(try ConversationTemplate.plain.prompt(["<image>\ncaption", nil]) == "<image>\ncaption\n")
        #expect(ConversationTemplate.plain.stopString == "\n")
        #expect(try ConversationTemplate.hermes2.prompt(["Q", nil]) == "<|im_start|>system\nAnswer the questions.<|im_end|><|im_start|>user\nQ<|im_end|><|im_start|>assistant\n")
        #expect(ConversationTemplate.all["v1"] == .vicunaV1)
    }

    @Test func imagesArePlacedAsVILADoes() throws {
        #expect(try PromptEncoder.placeImages(in: "Compare.", imageCount: 2) == "<image>\n<image>\nCompare.")
        #expect(try PromptEncoder.placeImages(in: "A <image> B", imageCount: 1) == "A <image> B")
        #expect(throws: PromptError.self) { try PromptEncoder.placeImages(in: "A <image> B <image>", imageCount: 1) }
    }

    @Test func stopStringIsHeldBackAndCut() {
        var f = StopStringFilter(stop: "###")
        var out = ""
        for piece in ["ab", "c#", "#", "x", "de#", "##tail"] {
            let (t, stopped) = f.push(piece)
            out += t
            if stopped { break }
        }
        #expect(out == "abc##xde")
        #expect(f.text == "abc##xde" && f.stopped)
        var g = StopStringFilter(stop: "\n")
        #expect(g.push("no newline").0 == "no newline")
        #expect(g.flush("") == "")
    }

    @Test func samplerIsSeededAndGreedyAtZero() {
        let logits: [Float] = [0.1, 2.0, 1.9, -1, 0.5]
        var greedy = Sampler(.greedy)
        #expect(greedy.next(logits[...]) == 1)
        var a = Sampler(SamplingOptions(temperature: 1, topP: 0.9, seed: 42))
        var b = Sampler(SamplingOptions(temperature: 1, topP: 0.9, seed: 42))
        let xs = (0..<50).map { _ in a.next(logits[...]) }
        #expect(xs == (0..<50).map { _ in b.next(logits[...]) })
        #expect(Set(xs).count > 1, "temperature 1 must sample more than one token")
        // top_p small enough keeps only the most likely token.
        var narrow = Sampler(SamplingOptions(temperature: 1, topP: 0.01, seed: 1))
        #expect((0..<20).allSatisfy { _ in narrow.next(logits[...]) == 1 })
    }
}
