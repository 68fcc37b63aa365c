import Foundation
import Testing
import TestSupport

/// Modules depend downward only (ARCHITECTURE.md): each module's layer is given here, and every
/// `import` of a VLMKit module in Sources/ must name a module of a strictly lower layer.
@Suite struct LayeringTests {
    /// formats (no compute) ← runtime ← quantization / verification ← chat ← pipeline ← CLI.
    static let layers: [String: Int] = [
        "CZstd": 0, "COpenBLAS": 0, "CPNG": 0, "CJPEG": 0, "CKernels": 0, "CImageCodecs": 1,
        "TensorCore": 0,
        "TensorIO": 1,
        "ModelGraph": 2, "Tokenizer": 2, "ChatTemplate": 2,
        "GGUF": 3, "DeviceBundle": 3, "Imaging": 3,
        "ReferenceRuntime": 4,
        "Quantization": 5, "Verification": 5,
        "Chat": 6,
        "Pipeline": 7,
        "vlmkit": 8,
    ]

    static func imports(of module: String) throws -> [(file: String, module: String)] {
        let dir = TestFiles.repoRoot + "/Sources/" + module
        var out: [(String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".swift") {
            let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                if let i = words.firstIndex(of: "import"), i + 1 < words.count, words[..<i].allSatisfy({ $0.hasPrefix("@") }) {
                    out.append((name, String(words[i + 1])))
                }
            }
        }
        return out
    }

    @Test func everyModuleHasALayer() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: TestFiles.repoRoot + "/Sources")
        for m in modules where !m.hasPrefix(".") {
            #expect(Self.layers[m] != nil, "Sources/\(m) has no layer in LayeringTests (and ARCHITECTURE.md)")
        }
    }

    @Test func importsGoDownwardOnly() throws {
        for (module, layer) in Self.layers where FileManager.default.fileExists(atPath: TestFiles.repoRoot + "/Sources/" + module) {
            for (file, imported) in try Self.imports(of: module) {
                guard let other = Self.layers[imported] else { continue }  // system and package modules
                #expect(other < layer, "Sources/\(module)/\(file) imports \(imported) (layer \(other)), not below \(module) (layer \(layer))")
            }
        }
    }
}
