import TensorIO
import TestSupport

/// A golden image file of golden/images.py and the processor folders its metadata names.
struct ImageGoldenFile {
    let file: SafetensorsFile
    let processors: [String: String]

    init(_ name: String) {
        file = try! SafetensorsFile(path: TestFiles.golden("images/" + name))
        var out: [String: String] = [:]
        for (k, v) in try! JSONParser.parse(file.metadata["processors"]!).objectValue! { out[k] = TestFiles.golden(v.stringValue!) }
        processors = out
    }
}
