import Foundation

/// Temporary files and paths for tests, shared by every test target.
public enum TestFiles {
    /// The repository root, found from this source file's path.
    public static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func golden(_ rel: String) -> String { repoRoot + "/golden/" + rel }

    /// A fresh empty directory under the system temp folder.
    public static func tempDir(_ tag: String = "t") -> String {
        let path = NSTemporaryDirectory() + "vlmkit-\(tag)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    public static func write(_ bytes: [UInt8], to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    /// A safetensors file from raw parts: the header text, an optional declared header length
    /// (to lie about it) and the data bytes.
    public static func safetensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil,
                            in dir: String = tempDir("st"), name: String = "x.safetensors") -> String {
        let h = Array(header.utf8)
        var bytes = [UInt8]()
        var n = (declaredLength ?? UInt64(h.count)).littleEndian
        withUnsafeBytes(of: &n) { bytes += $0 }
        bytes += h
        bytes += data
        let path = dir + "/" + name
        write(bytes, to: path)
        return path
    }
}

/// Hugging Face's `decode` drops ids that have no token; ours shows `<id N: no token>` in their
/// place. The goldens hold HF's text, so comparisons take the placeholders out first.
public enum NoTokenPlaceholders {
    public static func removed(_ text: String) -> String {
        text.replacing(#/<id \d+: no token>/#, with: "")
    }
}
