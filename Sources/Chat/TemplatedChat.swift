import ChatTemplate
import Foundation
import ModelGraph

/// A chat template from the checkpoint's files (Hugging Face's `chat_template`), with the
/// special-token strings transformers passes to it. VILA's NVILA release formats prompts this
/// way (llava/utils/tokenizer.py, tokenize_conversation with the "auto" conversation).
public struct TemplatedChat: Sendable {
    public let template: ChatTemplate
    /// Where the template came from ("llm/tokenizer_config.json", "NVILA's built-in qwen2").
    public let origin: String
    public let specialTokens: [String: String]

    /// Templates that NVILA's code ships and its top-level `chat_template` names, transcribed
    /// from NVlabs/VILA llava/model/language_model/chat_templates/*.jinja @ 36f6adc, in the form
    /// its builder loads them (every 4-space run and newline removed, builder.py).
    public static let nvilaBuiltins: [String: String] = [
        "qwen2": "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant<|im_end|>\\n' }}{% endif %}"
            + "{% for message in messages if message['content'] is not none %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
        "mistral": "{{ bos_token }}{% for message in messages if message['content'] is not none %}{% if message['role'] == 'system' %}{{ message['content'] | trim + '\\n\\n' }}"
            + "{% elif message['role'] == 'user' %}{{ '[INST] ' + message['content'] | trim + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' ' + message['content'] | trim + eos_token }}{% endif %}{% endfor %}",
    ]

    public init(template: ChatTemplate, origin: String, specialTokens: [String: String]) {
        self.template = template
        self.origin = origin
        self.specialTokens = specialTokens
    }

    /// The text for `messages` (role, content); `generation` opens the assistant's turn.
    public func render(_ messages: [(role: String, content: String)], generation: Bool) throws -> String {
        var vars: [String: TemplateValue] = [
            "messages": .array(messages.map { .object(TemplateObject([("role", .string($0.role)), ("content", .string($0.content))])) }),
            "add_generation_prompt": .bool(generation),
            // transformers passes these even when unused; `tools is defined` is true, `tools` false.
            "tools": .none, "documents": .none,
        ]
        for (k, v) in specialTokens { vars[k] = .string(v) }
        return try template.render(vars)
    }

    /// The template the checkpoint's files give, in transformers' order of precedence: VILA's
    /// top-level `chat_template` name (NVILA's builder), the tokenizer folder's
    /// `chat_template.jinja` (transformers ≥ 4.47 saves it there), then tokenizer_config.json's
    /// `chat_template` (a string, or a list of named templates: "default"). Nil when none.
    public static func load(files: any ConfigSource, config: VLMConfig) throws -> TemplatedChat? {
        let dir = config.layout.tokenizerFolder
        let tokConfig = files.exists(dir + "tokenizer_config.json") ? try files.read(dir + "tokenizer_config.json") : nil
        let special = try specialTokens(tokConfig)
        func make(_ source: String, _ origin: String) throws -> TemplatedChat {
            do { return TemplatedChat(template: try ChatTemplate(source), origin: origin, specialTokens: special) } catch let e as TemplateError {
                throw PromptError(message: "\(origin): \(e.description)")
            }
        }
        if let name = config.chatTemplateName {
            guard let source = nvilaBuiltins[name] else {
                throw PromptError(message: "config.json names chat_template \"\(name)\"; NVILA's code ships \(nvilaBuiltins.keys.sorted().joined(separator: ", ")), and vlmkit knows those only")
            }
            return try make(source, "NVILA's built-in \(name) template (config.json chat_template)")
        }
        if files.exists(dir + "chat_template.jinja") {
            let bytes = try files.bytes(dir + "chat_template.jinja")
            return try make(String(decoding: bytes, as: UTF8.self), files.label(dir + "chat_template.jinja"))
        }
        guard let tc = tokConfig, let value = tc.value("chat_template") else { return nil }
        let label = files.label(dir + "tokenizer_config.json")
        switch value {
        case let .string(s): return try make(s, label)
        case let .array(items):
            let named = items.compactMap { item -> (String, String)? in
                guard let n = item["name"]?.stringValue, let t = item["template"]?.stringValue else { return nil }
                return (n, t)
            }
            guard let pick = named.first(where: { $0.0 == "default" }) ?? named.first else {
                throw PromptError(message: "\(label): chat_template is a list without {name, template} entries")
            }
            return try make(pick.1, label + " (chat_template \"\(pick.0)\")")
        default:
            throw PromptError(message: "\(label): chat_template must be a string or a list of named templates")
        }
    }

    /// bos/eos/unk/pad token strings of tokenizer_config.json (a string or {"content": …}).
    static func specialTokens(_ config: ConfigObject?) throws -> [String: String] {
        var out: [String: String] = [:]
        guard let config else { return out }
        for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
            switch config.value(key) {
            case let .string(s)?: out[key] = s
            case .object?: if let s = try config.object(key)?.string("content") { out[key] = s }
            default: break
            }
        }
        return out
    }
}
