import Foundation
import ModelGraph
import TensorCore
import TensorIO

/// Names and constants of the quantized model folder (formats/quantization.md).
public enum QuantizedModelFormat {
    public static let format = "vlmkit-quantized"
    public static let version = "1"
    public static let manifestName = "quantization.json"
    public static let weightsName = "model.safetensors"
    public static let configFolder = "config"

    public static func qweight(_ prefix: String) -> String { prefix + ".qweight" }
    public static func scales(_ prefix: String) -> String { prefix + ".scales" }
    public static func zeros(_ prefix: String) -> String { prefix + ".zeros" }

    /// Files copied verbatim from the source checkpoint: everything but weights, in the top
    /// folder and the VILA sub-folders.
    public static func isCopiedFile(_ name: String) -> Bool {
        !(name.hasSuffix(".safetensors") || name.hasSuffix(".index.json") || name.hasSuffix(".bin")
          || name.hasSuffix(".pt") || name.hasSuffix(".pth") || name.hasPrefix("."))
    }

    /// Relative paths of the non-weight files of a checkpoint folder (configs, tokenizer,
    /// preprocessor) — in the top folder and, for VILA, its sub-folders — sorted.
    public static func configFiles(in root: String, layout: LayoutKind) throws -> [String] {
        var out: [String] = []
        for sub in layout == .vila ? ["", "llm", "vision_tower", "mm_projector"] : [""] {
            let dir = sub.isEmpty ? root : Path.join(root, sub)
            guard Path.isDirectory(dir) else { continue }
            for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            where isCopiedFile(name) && Path.isRegularFile(Path.join(dir, name)) {
                out.append(sub.isEmpty ? name : sub + "/" + name)
            }
        }
        return out
    }

    /// The dtype a kept float tensor is stored in: bf16 stays bf16, everything else becomes f16
    /// unless a value would overflow f16, in which case f32 is kept.
    static func keptDType(source: DType, values: [Float]) -> DType {
        if source == .bf16 { return .bf16 }
        let limit: Float = 65504
        return values.allSatisfy { abs($0) <= limit || !$0.isFinite } ? .f16 : .f32
    }
}
