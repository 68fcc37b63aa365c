import Chat
import Foundation
import ModelGraph
import ReferenceRuntime
import TestSupport
import Testing

/// Where a checkpoint's chat template comes from, and how a conversation continues with one.
@Suite struct TemplatedChatTests {
    static let nvila = "nvila-s2-siglip-qwen2-f16"

    static func assets(_ path: String) throws -> ModelAssets {
        try ModelAssets(files: FolderConfigSource(path), config: try ConfigLoader.read(FolderConfigSource(path), layout: .vila))
    }

    /// NVILA's built-ins are its chat_templates/*.jinja in the form its builder loads them.
    @Test func builtinsAreNVILAsFilesAsTheBuilderLoadsThem() throws {
        for (name, file) in [("qwen2", "nvila-qwen2.jinja"), ("mistral", "nvila-mistral.jinja")] {
            let text = try String(contentsOfFile: TestFiles.golden("templates/" + file), encoding: .utf8)
            let loaded = text.replacingOccurrences(of: "    ", with: "").replacingOccurrences(of: "\n", with: "")
            #expect(TemplatedChat.nvilaBuiltins[name] == loaded, "\(name)")
        }
    }

    @Test func theTokenizerConfigsTemplateIsFoundAndPreferredByPrecedence() throws {
        let a = try Self.assets(TestFiles.golden("models/" + Self.nvila))
        #expect(a.chat?.origin.hasSuffix("llm/tokenizer_config.json") == true)
        let (t, why) = try a.chooseTemplate(model: "NVILA-8B")
        #expect(t.style == .chatTemplate)
        #expect(why.contains("tokenizer_config.json"))
        #expect(t.stopString == "<|im_end|>")
        // VILA's name mapping still wins (VILA 1.5 checkpoints and their conversation modes).
        #expect(try a.chooseTemplate(model: "/models/VILA1.5-3b").0 == .vicunaV1)

        // A named list: "default" is taken.
        let listed = FixtureEditing.copy(Self.nvila)
        FixtureEditing.editJSON(listed + "/llm/tokenizer_config.json") { c in
            c["chat_template"] = [["name": "tool_use", "template": "TOOLS"], ["name": "default", "template": "{{ 'D' + messages[0].content }}"]]
        }
        let l = try Self.assets(listed)
        #expect(try l.chat?.render([(role: "user", content: "x")], generation: true) == "Dx")

        // chat_template.jinja beside it wins over tokenizer_config.json (transformers ≥ 4.47 saves it there).
        try "{{ 'J' }}".write(toFile: listed + "/llm/chat_template.jinja", atomically: true, encoding: .utf8)
        #expect(try Self.assets(listed).chat?.render([], generation: false) == "J")

        // config.json's chat_template names NVILA's built-in, which wins over both.
        FixtureEditing.editJSON(listed + "/config.json") { $0["chat_template"] = "mistral" }
        let m = try Self.assets(listed)
        #expect(m.chat?.origin.contains("mistral") == true)
        #expect(try m.chat?.render([(role: "user", content: " hi ")], generation: false) == "[INST] hi [/INST]")
        FixtureEditing.editJSON(listed + "/config.json") { $0["chat_template"] = "llama9" }
        #expect(throws: PromptError.self) { try Self.assets(listed) }
    }

    @Test func aTemplateVLMKitCannotRunIsRefusedWithItsFileAndLine() throws {
        let bad = FixtureEditing.copy(Self.nvila)
        FixtureEditing.editJSON(bad + "/llm/tokenizer_config.json") { $0["chat_template"] = "line one\n{% macro m() %}{% endmacro %}" }
        do {
            _ = try Self.assets(bad)
            Issue.record("a macro was accepted")
        } catch let e as PromptError {
            #expect(e.message.contains("tokenizer_config.json"))
            #expect(e.message.contains("line 2"))
            #expect(e.message.contains("macro"))
        }
    }

    /// A second turn re-renders the whole conversation; what the cache holds (the first prompt
    /// and the answer as generated) is its beginning, so only the rest is fed.
    @Test func aSecondTurnFeedsOnlyWhatTheTemplateAddsAfterTheAnswer() throws {
        let path = TestFiles.golden("models/" + Self.nvila)
        let a = try Self.assets(path)
        let template = try a.template(named: "chat_template")
        let session = PromptSession(assets: a, runner: try VLMRunner(try ModelLoader.load(path)), template: template,
                                    sampling: .greedy, maxNewTokens: 3, aspect: nil)
        let first = try session.ask("  First? ", images: []) { _ in }
        #expect(a.tokenizer.decode(first.promptIDs.map(Int.init)) == "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nFirst?<|im_end|>\n<|im_start|>assistant\n")
        let second = try session.promptIDs(question: "Second?", imageCount: 0)
        // The answer stopped at max-new-tokens, so the template's <|im_end|> after it is still to come.
        #expect(first.stopReason == "max-new-tokens")
        #expect(a.tokenizer.decode(second.map(Int.init)) == "<|im_end|>\n<|im_start|>user\nSecond?<|im_end|>\n<|im_start|>assistant\n")
    }

    /// LLaVA-HF templates take content lists with image parts: never picked, and refused by name.
    @Test func llavaHFChatTemplatesAreNotUsed() throws {
        let hf = FixtureEditing.copy("llava-hf-f16")
        FixtureEditing.editJSON(hf + "/tokenizer_config.json") { $0["chat_template"] = "{% for m in messages %}{% for c in m['content'] %}{{ c['type'] }}{% endfor %}{% endfor %}" }
        let a = try ModelAssets(files: FolderConfigSource(hf), config: try ModelLoader.load(hf).config)
        #expect(a.chat != nil)
        #expect(try a.chooseTemplate(model: hf).0.style != .chatTemplate)
        #expect(throws: PromptError.self) { try a.template(named: "chat_template") }
    }

    /// NVILA embeds tokenizer("\n") after every image's features: the ids follow −200.
    @Test func imageEndTokensFollowEveryImage() throws {
        let a = try Self.assets(TestFiles.golden("models/" + Self.nvila))
        #expect(a.media.start.isEmpty)
        #expect(a.media.end == a.tokenizer.encode("\n", addSpecialTokens: true).map(Int64.init))
        let ids = PromptEncoder.encodeWhole("<image><image>Q", tokenizer: a.tokenizer, media: a.media)
        #expect(ids.filter { $0 == PromptEncoder.imageTokenID }.count == 2)
        #expect(Array(ids[1...(a.media.end.count)]) == a.media.end)
        // VILA 1.5 checkpoints have no image encoder: nothing is added.
        let vila = try Self.assets(TestFiles.golden("models/vila-siglip-qwen2-f16"))
        #expect(vila.media == .none)
        #expect(vila.chat == nil)
        #expect(try vila.chooseTemplate(model: "x").0 == .hermes2)
    }
}
