import TensorCore
import TensorIO

/// The int4 packings of other tools that `vlmkit import` reads (formats/quantization.md), and the
/// one Linear of such a checkpoint they describe.
public enum PackedFormat: Sendable, Equatable, CustomStringConvertible {
    /// AutoAWQ GEMM safetensors (`quant_method: awq`, `version: gemm`).
    case autoAWQ
    /// GPTQ safetensors (AutoGPTQ, GPTQModel): v1 stores z − 1, v2 (`checkpoint_format: gptq_v2`) z.
    case gptq(GPTQPacking.ZeroFormat)
    /// llm-awq / TinyChat real-quant `torch.save` files (`*-w4-g128-awq-v2.pt`).
    case llmAWQ

    public var description: String {
        switch self {
        case .autoAWQ: return "autoawq"
        case .gptq(.v1): return "gptq"
        case .gptq(.v2): return "gptq_v2"
        case .llmAWQ: return "llm-awq"
        }
    }

    /// The tensors one packed Linear `P` stores besides its bias, as suffixes of `P.`; the
    /// optional ones may be absent.
    var parts: (required: [String], optional: [String]) {
        switch self {
        case .autoAWQ: return (["qweight", "qzeros", "scales"], [])
        case .gptq: return (["qweight", "qzeros", "scales"], ["g_idx"])
        case .llmAWQ: return (["qweight", "scales", "scaled_zeros"], [])
        }
    }

    /// The stored dtype of `qweight`.
    var qweightDType: DType { self == .llmAWQ ? .i16 : .i32 }

    /// [outputs, inputs] from `qweight`'s shape.
    func linearShape(qweight s: Shape) -> (rows: Int, cols: Int) {
        switch self {
        case .autoAWQ: return (s[1] * 8, s[0])
        case .gptq: return (s[1], s[0] * 8)
        case .llmAWQ: return (s[0] * 4, s[1])
        }
    }
}

/// Why a packed checkpoint cannot be imported: bad input, named with the tensor and the file.
public struct ImportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One packed Linear as found in a store: its tensors checked for dtype and shape.
struct PackedLinear {
    let prefix: String
    let format: PackedFormat
    let rows: Int
    let cols: Int
    let group: Int
    /// llm-awq's padded group count (rows of `scales`).
    let paddedGroups: Int

    init(prefix: String, format: PackedFormat, group: Int, store: any TensorStore) throws {
        self.prefix = prefix
        self.format = format
        func info(_ part: String) throws -> TensorInfo {
            guard let i = store.info(prefix + "." + part) else {
                throw ImportError("\(store.location): \(prefix).qweight has no \(prefix).\(part); a \(format) Linear stores \(format.parts.required.joined(separator: ", "))")
            }
            return i
        }
        let qw = try info("qweight")
        guard qw.dtype == format.qweightDType, qw.shape.rank == 2 else {
            throw ImportError("\(qw.file): \(qw.name) is \(qw.dtype.displayName) \(qw.shape); \(format) stores a 2-D \(format.qweightDType.displayName) qweight")
        }
        (rows, cols) = format.linearShape(qweight: qw.shape)
        let g = group > 0 ? group : cols  // GPTQ's group_size −1: one group per row
        self.group = g
        guard rows > 0, cols > 0, cols % g == 0 else {
            throw ImportError("\(qw.file): \(prefix) has \(cols) inputs, not a multiple of the group size \(g)")
        }
        let groups = cols / g
        let scales = try info("scales")
        switch format {
        case .llmAWQ:
            paddedGroups = scales.shape.rank == 2 ? scales.shape[0] : 0
            let zeros = try info("scaled_zeros")
            for t in [scales, zeros] where t.dtype != .f16 || t.shape.rank != 2 || t.shape[1] != rows || t.shape[0] < groups {
                throw ImportError("\(t.file): \(t.name) is \(t.dtype.displayName) \(t.shape); llm-awq stores f16 [≥ \(groups) groups, \(rows)] for group size \(g) — is the group size right (--group-size)?")
            }
            // WQLinear pads the groups: calculate_zeros_width(K, G) × 8 rows (qmodule.py @ 5f06dbb).
            let multiple = g >= 128 ? 1 : g == 64 ? 2 : g == 32 ? 4 : 0
            let padded = multiple == 0 ? -1 : ((groups + 7) / 8 + multiple - 1) / multiple * multiple * 8
            guard paddedGroups == padded else {
                throw ImportError("\(scales.file): \(scales.name) has \(paddedGroups) group rows; llm-awq stores \(padded < 0 ? "no layout for group size \(g)" : "\(padded) for \(cols) inputs in groups of \(g)") — is the group size right (--group-size)?")
            }
            guard zeros.shape == scales.shape else {
                throw ImportError("\(zeros.file): \(zeros.name) has shape \(zeros.shape) but \(scales.name) \(scales.shape)")
            }
        case .autoAWQ, .gptq:
            paddedGroups = groups
            let zeros = try info("qzeros")
            guard scales.dtype == .f16, scales.shape == [groups, rows] else {
                throw ImportError("\(scales.file): \(scales.name) is \(scales.dtype.displayName) \(scales.shape); \(format) with group size \(g) stores f16 [\(groups), \(rows)]")
            }
            guard zeros.dtype == .i32, zeros.shape == [groups, rows / 8] else {
                throw ImportError("\(zeros.file): \(zeros.name) is \(zeros.dtype.displayName) \(zeros.shape); \(format) with group size \(g) stores i32 [\(groups), \(rows / 8)]")
            }
            if let gi = store.info(prefix + ".g_idx") {
                guard format != .autoAWQ else { throw ImportError("\(gi.file): \(gi.name) is not part of an AutoAWQ Linear") }
                guard gi.dtype == .i32, gi.shape == [cols] else {
                    throw ImportError("\(gi.file): \(gi.name) is \(gi.dtype.displayName) \(gi.shape); GPTQ stores i32 [\(cols)]")
                }
            }
        }
    }
}

extension TensorStore {
    /// A stored tensor's values copied out as `T` (the caller has checked its dtype).
    public func values<T>(_ name: String, as: T.Type) throws -> [T] {
        let raw = try bytes(name)
        defer { release(name) }
        return [T](unsafeUninitializedCapacity: raw.count / MemoryLayout<T>.stride) { buf, n in
            UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count / MemoryLayout<T>.stride * MemoryLayout<T>.stride)]))
            n = raw.count / MemoryLayout<T>.stride
        }
    }
}
