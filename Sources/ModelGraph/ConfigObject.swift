import TensorIO

/// A JSON object from a config file, with typed accessors whose errors name the file and the
/// full key path (`config.json: "llm_cfg.hidden_size" must be an integer, found string`).
public struct ConfigObject: Sendable {
    public let json: JSONValue
    /// The file the object came from.
    public let file: String
    /// Key path of this object inside the file ("" for the top level).
    public let keyPath: String

    public init(json: JSONValue, file: String, keyPath: String = "") throws {
        guard case .object = json else {
            throw ConfigError.wrongType(file: file, key: keyPath.isEmpty ? "(top level)" : keyPath,
                                        expected: "an object", found: json.typeName)
        }
        self.json = json
        self.file = file
        self.keyPath = keyPath
    }

    /// Reads and parses a JSON config file.
    public static func read(_ path: String) throws -> ConfigObject {
        let json: JSONValue
        do {
            json = try JSONFile.read(path)
        } catch let e as JSONParseError {
            throw ConfigError.unreadable(file: path, detail: e.description)
        }
        return try ConfigObject(json: json, file: path)
    }

    func path(_ key: String) -> String { keyPath.isEmpty ? key : keyPath + "." + key }

    /// The raw value of `key`, treating JSON null as absent (as transformers does).
    public func value(_ key: String) -> JSONValue? {
        guard let v = json[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    public func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        if let i = v.intValue { return i }
        // transformers writes some sizes as floats (e.g. 4096.0); accept exact whole numbers.
        if case .double(let d) = v, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw ConfigError.wrongType(file: file, key: path(key), expected: "an integer", found: v.serialized)
    }

    public func int(_ key: String, default d: Int) throws -> Int { try int(key) ?? d }

    public func requiredInt(_ key: String) throws -> Int {
        guard let v = try int(key) else { throw ConfigError.missingKey(file: file, key: path(key)) }
        return v
    }

    /// An integer that must be at least `minimum`.
    public func positiveInt(_ key: String, default d: Int? = nil, minimum: Int = 1) throws -> Int {
        guard let v = try int(key) ?? d else { throw ConfigError.missingKey(file: file, key: path(key)) }
        guard v >= minimum else {
            throw ConfigError.invalidValue(file: file, key: path(key), detail: "must be at least \(minimum), found \(v)")
        }
        return v
    }

    public func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue else {
            throw ConfigError.wrongType(file: file, key: path(key), expected: "a number", found: v.serialized)
        }
        return d
    }

    public func double(_ key: String, default d: Double) throws -> Double { try double(key) ?? d }

    public func positiveDouble(_ key: String, default d: Double) throws -> Double {
        let v = try double(key) ?? d
        guard v > 0, v.isFinite else {
            throw ConfigError.invalidValue(file: file, key: path(key), detail: "must be a positive number, found \(v)")
        }
        return v
    }

    public func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else {
            throw ConfigError.wrongType(file: file, key: path(key), expected: "a string", found: v.serialized)
        }
        return s
    }

    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v.boolValue else {
            throw ConfigError.wrongType(file: file, key: path(key), expected: "true or false", found: v.serialized)
        }
        return b
    }

    /// A nested object, or nil when absent.
    public func object(_ key: String) throws -> ConfigObject? {
        guard let v = value(key) else { return nil }
        return try ConfigObject(json: v, file: file, keyPath: path(key))
    }

    /// An integer or a list of integers (e.g. `eos_token_id`).
    public func intList(_ key: String) throws -> [Int] {
        guard let v = value(key) else { return [] }
        if let i = v.intValue { return [i] }
        if let items = v.arrayValue {
            return try items.map {
                guard let i = $0.intValue else {
                    throw ConfigError.wrongType(file: file, key: path(key), expected: "integers", found: v.serialized)
                }
                return i
            }
        }
        throw ConfigError.wrongType(file: file, key: path(key), expected: "an integer or a list of integers", found: v.serialized)
    }
}
