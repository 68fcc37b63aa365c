import Chat
import Foundation

/// `vlmkit run --interactive`: questions from stdin, answers streamed, one KV cache for the
/// whole conversation.
struct InteractiveChat {
    let session: PromptSession
    let firstImages: [String]
    let firstPrompt: String?

    func run() throws {
        var pendingImages = firstImages
        FileHandleOutput.stderr("vlmkit: interactive; /image PATH attaches an image to the next question, /exit or Ctrl-D ends")
        var question = firstPrompt
        while true {
            if question == nil {
                FileHandleOutput.stderrRaw(">>> ")
                guard let line = readLine(strippingNewline: true) else { break }
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                if trimmed == "/exit" || trimmed == "/quit" { break }
                if trimmed.hasPrefix("/image ") {
                    pendingImages.append(String(trimmed.dropFirst(7)).trimmingCharacters(in: .whitespaces))
                    FileHandleOutput.stderr("vlmkit: \(pendingImages.count) image(s) attached to the next question")
                    continue
                }
                question = line
            }
            do {
                let result = try session.ask(question!, images: pendingImages) { text in
                    FileHandleOutput.stdoutStreaming(text)
                }
                print("")
                FileHandleOutput.stderr(result.timingLine + " | context \(session.session.length)/\(session.session.limit)")
            } catch {
                // A bad image or a full context ends this question, not the session.
                FileHandleOutput.stderr("vlmkit: error: \(error)")
            }
            pendingImages = []
            question = nil
        }
    }
}
