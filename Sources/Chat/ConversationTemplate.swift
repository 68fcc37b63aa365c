import ChatTemplate
import Foundation

/// VILA's conversation templates (llava/conversation.py), rebuilt as data: how a list of turns
/// becomes the prompt text, and which strings end the assistant's answer.
public struct ConversationTemplate: Sendable, Equatable {
    public enum Style: String, Sendable {
        /// "system<sep>ROLE: message<sep or sep2>…ROLE:" (vicuna_v1).
        case two
        /// "system<sep>role message<sep>…role" with sep2 after the last message (llama_3).
        case llama3
        /// "system<sep>role message<sep>…role" (hermes-2, ChatML).
        case mpt
        /// Messages only, user's followed by sep, assistant's by sep2 (plain).
        case plain
        /// The checkpoint's own Jinja chat template (NVILA's "auto" conversation).
        case chatTemplate
    }

    public let name: String
    public let system: String
    public let roles: (user: String, assistant: String)
    public let style: Style
    public let sep: String
    public let sep2: String?
    /// The template itself, for `.chatTemplate`.
    public var chat: TemplatedChat? = nil

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name }

    public static let vicunaV1 = ConversationTemplate(
        name: "vicuna_v1",
        system: "A chat between a curious user and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the user's questions.",
        roles: ("USER", "ASSISTANT"), style: .two, sep: " ", sep2: "</s>")

    public static let llama3 = ConversationTemplate(
        name: "llama_3",
        system: "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful language and vision assistant. "
            + "You are able to understand the visual content that the user provides, "
            + "and assist the user with a variety of tasks using natural language.",
        roles: ("<|start_header_id|>user<|end_header_id|>\n\n", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
        style: .llama3, sep: "<|eot_id|>", sep2: "<|end_of_text|>")

    public static let hermes2 = ConversationTemplate(
        name: "hermes-2", system: "<|im_start|>system\nAnswer the questions.",
        roles: ("<|im_start|>user\n", "<|im_start|>assistant\n"), style: .mpt, sep: "<|im_end|>", sep2: nil)

    public static let plain = ConversationTemplate(name: "plain", system: "", roles: ("", ""), style: .plain, sep: "\n", sep2: nil)

    /// The checkpoint's chat template; `stop` is the token that follows an assistant message in
    /// it (what NVILA's `infer_stop_tokens` finds).
    public static func templated(_ chat: TemplatedChat, stop: String) -> ConversationTemplate {
        ConversationTemplate(name: "chat_template", system: "", roles: ("user", "assistant"), style: .chatTemplate,
                             sep: stop, sep2: nil, chat: chat)
    }

    /// The name `--template` takes for the checkpoint's own chat template.
    public static let chatTemplateName = "chat_template"

    /// By name, with VILA's aliases ("v1" for vicuna_v1).
    public static let all: [String: ConversationTemplate] = [
        "vicuna_v1": vicunaV1, "v1": vicunaV1, "llama_3": llama3, "hermes-2": hermes2, "plain": plain,
    ]

    /// The text VILA's `Conversation.get_prompt` builds. `messages` alternate user, assistant,
    /// user, …; a nil last message is the open assistant turn the model continues.
    public func prompt(_ messages: [String?]) throws -> String {
        var out = ""
        switch style {
        case .chatTemplate:
            // NVILA's tokenize_conversation strips every message before templating.
            let turns = messages.enumerated().compactMap { i, m in
                m.map { (role: i % 2 == 0 ? "user" : "assistant", content: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            do { return try chat!.render(turns, generation: messages.last.map { $0 == nil } ?? false) } catch let e as TemplateError {
                throw PromptError(message: "\(chat!.origin): \(e.description)")
            }
        case .two:
            let seps = [sep, sep2 ?? sep]
            out = system + seps[0]
            for (i, m) in messages.enumerated() {
                let role = i % 2 == 0 ? roles.user : roles.assistant
                if let m { out += role + ": " + m + seps[i % 2] } else { out += role + ":" }
            }
        case .llama3:
            out = system + sep
            for (i, m) in messages.enumerated() {
                let role = i % 2 == 0 ? roles.user : roles.assistant
                if let m { out += role + m + (i < messages.count - 1 ? sep : (sep2 ?? sep)) } else { out += role }
            }
        case .mpt:
            out = system + sep
            for (i, m) in messages.enumerated() {
                let role = i % 2 == 0 ? roles.user : roles.assistant
                if let m { out += role + m + sep } else { out += role }
            }
        case .plain:
            let seps = [sep, sep2 ?? sep]
            out = system
            for (i, m) in messages.enumerated() {
                if let m { out += m + seps[i % 2] }
            }
        }
        return out
    }

    /// VILA's keyword stop: sep2 for the two-separator style, sep otherwise.
    public var stopString: String { style == .two ? (sep2 ?? sep) : sep }

    /// The text that follows an assistant answer before the next user turn, so a multi-turn
    /// session can feed only the new part: what `prompt` puts after a finished assistant message
    /// (its end marker is the stop token the model generated, already in the cache).
    public func continuation(user message: String) -> String {
        switch style {
        case .two: return roles.user + ": " + message + sep + roles.assistant + ":"
        case .llama3: return roles.user + message + sep + roles.assistant
        case .mpt: return roles.user + message + sep + roles.assistant
        case .plain: return message + sep
        case .chatTemplate: return ""  // PromptSession re-renders the whole conversation instead
        }
    }
}
