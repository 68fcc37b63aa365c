/// Problems with a model's configuration files. Each names the file and the key.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case missingKey(file: String, key: String)
    case wrongType(file: String, key: String, expected: String, found: String)
    case invalidValue(file: String, key: String, detail: String)
    case unsupported(file: String, detail: String)
    case unreadable(file: String, detail: String)

    public var description: String {
        switch self {
        case let .missingKey(file, key): return "\(file): missing key \"\(key)\""
        case let .wrongType(file, key, expected, found): return "\(file): \"\(key)\" must be \(expected), found \(found)"
        case let .invalidValue(file, key, detail): return "\(file): \"\(key)\" \(detail)"
        case let .unsupported(file, detail): return "\(file): \(detail)"
        case let .unreadable(file, detail): return "\(file): \(detail)"
        }
    }
}
