import ModelGraph
import TensorCore
import TensorIO

/// One slot of a quantized model folder encoded as it is stored (formats/quantization.md): the
/// stored tensors (`qweight`, `scales`, `zeros` of a quantized Linear, or the one kept float
/// tensor), with the report and manifest entries that describe it.
///
/// Both the quantizer's single pass and AWQ's layer-by-layer run (which encodes a layer as soon
/// as its search ends and assembles the folder at the end) go through `encode`, so the two
/// write the same bytes.
public struct EncodedTensor: Sendable {
    public struct Part: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: Shape
        public let bytes: [UInt8]
    }

    public let slot: String
    public let parts: [Part]
    public let report: QuantizeReport.Tensor
    /// The tensor's entry in `quantization.json`'s `tensors`.
    public let manifest: JSONValue

    /// The slot's stored tensors with the report and manifest entries derived from them.
    init(_ ref: TensorRef, scheme: QuantScheme?, parts: [Part], stats: QuantStats?) {
        slot = ref.slot
        self.parts = parts
        let stored = parts.reduce(0) { $0 + $1.bytes.count }
        if let scheme, let stats {
            report = .init(slot: ref.slot, shape: ref.shape.dims, storage: scheme.description, stats: stats,
                           sourceBytes: ref.info.byteCount, storedBytes: stored)
            manifest = .object([
                ("scheme", .string(scheme.description)), ("shape", .array([.int(Int64(ref.shape[0])), .int(Int64(ref.shape[1]))])),
                ("nmse", .double(stats.nmse)), ("max_abs_error", .double(stats.maxAbsError)),
            ])
        } else {
            let dtype = parts[0].dtype
            report = .init(slot: ref.slot, shape: ref.shape.dims, storage: dtype.displayName, stats: nil,
                           sourceBytes: ref.info.byteCount, storedBytes: stored)
            manifest = .object([("dtype", .string(dtype.displayName))])
        }
    }

    /// Names, dtypes and shapes of the stored tensors of `ref` under `scheme` (nil: kept float),
    /// known before any value is computed.
    public static func layout(_ ref: TensorRef, scheme: QuantScheme?) -> [(name: String, dtype: DType, shape: Shape)] {
        guard let scheme else { return [(ref.slot, ref.dtype == .bf16 ? .bf16 : .f16, ref.shape)] }
        return QuantizedModelFormat.storedTensors(String(ref.slot.dropLast(".weight".count)), rows: ref.shape[0], cols: ref.shape[1],
                                                  scheme: scheme)
    }

    /// A kept float tensor whose stored dtype is already the one it is kept in (f16 → f16, bf16 →
    /// bf16): its bytes as they are, without widening to f32 and narrowing back (which gives the
    /// same bits for every finite and infinite value), so memory holds one copy of it. Nil for
    /// other dtypes (an f32 tensor is narrowed by `encode`).
    public static func keptAsStored(_ ref: TensorRef, allowNonFinite: Bool) throws -> EncodedTensor? {
        let dtype = layout(ref, scheme: nil)[0].dtype
        guard ref.dtype == dtype else { return nil }
        let bytes: [UInt8] = try ref.withRawBytes { raw in
            try NonFinite.check(raw, dtype: dtype, tensor: ref.source, file: ref.info.file, allow: allowNonFinite)
            return Array(raw)
        }
        return EncodedTensor(ref, scheme: nil, parts: [Part(name: ref.slot, dtype: dtype, shape: ref.shape, bytes: bytes)], stats: nil)
    }

    /// Encodes `values` (the slot's f32 weights: as stored, or rewritten by AWQ).
    public static func encode(_ ref: TensorRef, values v: [Float], scheme: QuantScheme?, threads: Int) throws -> EncodedTensor {
        let layout = layout(ref, scheme: scheme)
        guard let scheme else {
            let dtype = layout[0].dtype
            if dtype == .f16, v.contains(where: { abs($0) > 65504 && $0.isFinite }) {
                throw ModelQuantizer.WriteError.floatOverflow(slot: ref.slot)
            }
            return EncodedTensor(ref, scheme: nil, parts: [Part(name: ref.slot, dtype: dtype, shape: ref.shape,
                                                                bytes: TensorEncoding.encode(v, as: dtype))], stats: nil)
        }
        let p = try RTNPacker.pack(v, rows: ref.shape[0], cols: ref.shape[1], scheme: scheme, name: ref.slot, threads: threads)
        return packed(ref, p, scheme: scheme)
    }

    /// Encodes the slot straight from its stored bytes (f32, f16, bf16) in one pass; nil when the
    /// dtype is another or some weight is not finite (then `encode` on its float values reports it).
    public static func encodeStored(_ ref: TensorRef, scheme: QuantScheme, threads: Int) throws -> EncodedTensor? {
        guard RTNPacker.canRead(ref.dtype) else { return nil }
        let rows = ref.shape[0], cols = ref.shape[1]
        if let g = scheme.groupSize, cols % g != 0 {
            throw QuantizationError.groupDoesNotDivide(tensor: ref.slot, columns: cols, groupSize: g)
        }
        let result = try ref.withRawBytes { raw in
            RTNPacker.pack(raw, dtype: ref.dtype, rows: rows, cols: cols, scheme: scheme, threads: threads)
        }
        switch result {
        case let .success(p): return packed(ref, p, scheme: scheme)
        case .failure(.nonFinite): return nil
        case let .failure(.scaleOverflow(r)): throw QuantizationError.scaleOverflow(tensor: ref.slot, row: r)
        }
    }

    static func packed(_ ref: TensorRef, _ p: RTNPacker.Packed, scheme: QuantScheme) -> EncodedTensor {
        let scaleBytes = p.scales.withUnsafeBytes { Array($0) }
        let bytes = [p.values, scaleBytes] + (p.zeros.map { [$0] } ?? [])
        let parts = zip(layout(ref, scheme: scheme), bytes).map { Part(name: $0.0.name, dtype: $0.0.dtype, shape: $0.0.shape, bytes: $0.1) }
        return EncodedTensor(ref, scheme: scheme, parts: parts, stats: p.stats)
    }
}
