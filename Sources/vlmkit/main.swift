import ArgumentParser
VLMKitCommand.main()
