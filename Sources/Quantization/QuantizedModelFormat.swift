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

    /// Files copied verbatim from the source checkpoint (see `CheckpointConfigFiles`).
    public static func isCopiedFile(_ name: String) -> Bool { CheckpointConfigFiles.isConfigFile(name) }

    public static func configFiles(in root: String, layout: LayoutKind) throws -> [String] {
        try CheckpointConfigFiles.list(in: root, layout: layout)
    }

    /// The dtype a kept float tensor is stored in: bf16 stays bf16, everything else becomes f16
    /// unless a value would overflow f16, in which case f32 is kept.
    static func keptDType(source: DType, values: [Float]) -> DType {
        if source == .bf16 { return .bf16 }
        let limit: Float = 65504
        return values.allSatisfy { abs($0) <= limit || !$0.isFinite } ? .f16 : .f32
    }
}
