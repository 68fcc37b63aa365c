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

    /// The stored tensors of a Linear `prefix` of [rows, cols] quantized with `scheme`, in file
    /// order: `qweight` (I8 [rows, cols] or U8 [rows, cols/2]), `scales` (F16, one per row or per
    /// row and group) and, for asymmetric int4, `zeros` (U8 per row and group).
    public static func storedTensors(_ prefix: String, rows: Int, cols: Int, scheme: QuantScheme) -> [(name: String, dtype: DType, shape: Shape)] {
        let groups = scheme.groupSize.map { cols / $0 }
        var out: [(name: String, dtype: DType, shape: Shape)] = [
            (qweight(prefix), scheme == .int8 ? .i8 : .u8, scheme == .int8 ? [rows, cols] : [rows, cols / 2]),
            (scales(prefix), .f16, groups.map { [rows, $0] } ?? [rows]),
        ]
        if case .int4(_, false) = scheme { out.append((zeros(prefix), .u8, [rows, groups!])) }
        return out
    }

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
