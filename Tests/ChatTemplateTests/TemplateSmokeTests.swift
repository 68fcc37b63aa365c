import Testing
@testable import ChatTemplate

@Suite struct TemplateSmokeTests {
    @Test func rendersChatML() throws {
        let t = try ChatTemplate("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
        let out = try t.render(["messages": .from([["role": "user", "content": "hi"] as KeyValuePairs<String, Any?>] as [Any?]),
                                "add_generation_prompt": .bool(true)])
        #expect(out == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }
}
