import Foundation
import TensorIO

/// The non-weight files of a checkpoint (configs, tokenizer, preprocessor) that travel with it into a
/// quantized folder or a bundle.
public enum CheckpointConfigFiles {
    /// Files copied verbatim from the source checkpoint: everything but weights, in the top
    /// folder and the VILA sub-folders.
    public static func isConfigFile(_ name: String) -> Bool {
        !(name.hasSuffix(".safetensors") || name.hasSuffix(".index.json") || name.hasSuffix(".bin")
          || name.hasSuffix(".pt") || name.hasSuffix(".pth") || name.hasPrefix("."))
    }

    /// Relative paths of the non-weight files of a checkpoint folder (configs, tokenizer,
    /// preprocessor) — in the top folder and, for VILA, its sub-folders — sorted.
    public static func list(in root: String, layout: LayoutKind) throws -> [String] {
        var out: [String] = []
        for sub in [""] + layout.folders {
            let dir = sub.isEmpty ? root : Path.join(root, sub)
            guard Path.isDirectory(dir) else { continue }
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            where isConfigFile(name) && Path.isRegularFile(Path.join(dir, name)) {
                out.append(sub.isEmpty ? name : sub + "/" + name)
            }
        }
        return out
    }
}
