import ArgumentParser

struct VLMKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vlmkit", abstract: "VLMKit", subcommands: [])
}
