import Foundation
import TensorCore
import TensorIO

/// Another tool's int4 checkpoint seen as a float one: every packed Linear `P` (its `P.qweight`,
/// `P.scales`, … ) appears as one tensor `P.weight`, F32 [outputs, inputs], holding that tool's own
/// dequantization; every other tensor is the base store's, unchanged. The model loader then maps
/// and checks the checkpoint like any other (unknown and missing tensors stay errors: a packed
/// part the format does not have is listed as itself), and `convert` gives each Linear in VLMKit's
/// int4, exactly where the scheme can hold it.
// Unchecked Sendable: `linears` and `names` are set in init; the dequantized buffers are guarded by `lock`.
public final class PackedInt4Store: TensorStore, @unchecked Sendable {
    public let base: any TensorStore
    public let format: PackedFormat
    let linears: [String: PackedLinear]
    public let tensorNames: [String]
    private let lock = NSLock()
    private var buffers: [String: UnsafeMutableRawBufferPointer] = [:]

    /// `group`: the checkpoint's group size (−1 or 0: one group per row, GPTQ's per-channel).
    public init(base: any TensorStore, format: PackedFormat, group: Int) throws {
        self.base = base
        self.format = format
        var linears: [String: PackedLinear] = [:]
        for name in base.tensorNames where name.hasSuffix(".qweight") {
            let prefix = String(name.dropLast(".qweight".count))
            linears[prefix + ".weight"] = try PackedLinear(prefix: prefix, format: format, group: group, store: base)
        }
        guard !linears.isEmpty else {
            throw ImportError("\(base.location): no packed Linear (no tensor named *.qweight); this is not a \(format) checkpoint")
        }
        var consumed = Set<String>()
        for l in linears.values {
            for part in format.parts.required + format.parts.optional { consumed.insert(l.prefix + "." + part) }
            if let clash = base.info(l.prefix + ".weight") {
                throw ImportError("\(clash.file): \(clash.name) is stored beside the packed \(l.prefix).qweight; a Linear is either packed or float")
            }
        }
        self.linears = linears
        tensorNames = (base.tensorNames.filter { !consumed.contains($0) } + linears.keys).sorted()
    }

    deinit { for b in buffers.values { b.deallocate() } }

    public var location: String { base.location }
    public var metadata: [String: String] { base.metadata }

    /// Slots' source names (`P.weight`) that are packed Linears.
    public var packedWeights: [String] { linears.keys.sorted() }

    public func isPacked(_ name: String) -> Bool { linears[name] != nil }

    /// Bytes the tool stores for one packed Linear (qweight, zeros, scales, g_idx), nil for other names.
    public func packedBytes(_ name: String) -> Int? {
        guard let l = linears[name] else { return nil }
        return (format.parts.required + format.parts.optional).compactMap { base.info(l.prefix + "." + $0)?.byteCount }.reduce(0, +)
    }

    public func info(_ name: String) -> TensorInfo? {
        guard let l = linears[name] else { return base.info(name) }
        let file = base.info(l.prefix + ".qweight")?.file ?? base.location
        return TensorInfo(name: name, dtype: .f32, shape: [l.rows, l.cols], byteRange: 0..<(l.rows * l.cols * 4), file: file)
    }

    public func keepsBytes(_ name: String) -> Bool { linears[name] == nil && base.keepsBytes(name) }

    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let l = linears[name] else { return try base.bytes(name) }
        lock.lock()
        if let b = buffers[name] { lock.unlock(); return UnsafeRawBufferPointer(b) }
        lock.unlock()
        let values = try theirs(l)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: values.count * 4, alignment: 64)
        values.withUnsafeBytes { buffer.copyMemory(from: $0) }
        lock.lock()
        defer { lock.unlock() }
        if let b = buffers[name] { buffer.deallocate(); return UnsafeRawBufferPointer(b) }
        buffers[name] = buffer
        return UnsafeRawBufferPointer(buffer)
    }

    public func release(_ name: String) {
        guard linears[name] != nil else { return base.release(name) }
        lock.lock()
        defer { lock.unlock() }
        buffers.removeValue(forKey: name)?.deallocate()
    }

    /// How one packed Linear becomes VLMKit's int4, decided from shapes and (GPTQ) `g_idx` alone.
    public enum Plan: Sendable, Equatable {
        /// The same q, z and s: our (q − z)·s is the tool's own dequantization.
        case exact(group: Int)
        /// Same q and s, z recovered from a rounded product (llm-awq's scaled zeros): our
        /// dequantization differs from the tool's by that rounding, which is measured.
        case rounded(group: Int)
        /// The scheme cannot hold the weights as stored (act-order groups, a group size VLMKit
        /// has not): re-rounded from the tool's dequantization (`bytes`), the added error measured.
        case reround(reason: String, group: Int)
    }

    public func plan(_ name: String) throws -> Plan {
        let l = try linear(name)
        guard QuantScheme.supportedGroupSizes.contains(l.group) else {
            return .reround(reason: "group size \(l.group) (VLMKit's int4 groups are \(QuantScheme.supportedGroupSizes.map(String.init).joined(separator: ", ")))", group: l.group)
        }
        switch format {
        case .autoAWQ: return .exact(group: l.group)
        case .gptq:
            if let gIdx = try gIdx(l), !GPTQPacking.isTrivial(gIdx, group: l.group) {
                return .reround(reason: "act-order groups (g_idx)", group: l.group)
            }
            return .exact(group: l.group)
        case .llmAWQ: return .rounded(group: l.group)
        }
    }

    /// One Linear in VLMKit's int4 (for plans `exact` and `rounded`).
    public func int4(_ name: String) throws -> AutoAWQPacking.Int4Linear {
        let l = try linear(name)
        switch format {
        case .autoAWQ:
            return try AutoAWQPacking.unpack(qweight: base.values(l.prefix + ".qweight", as: Int32.self),
                                             qzeros: base.values(l.prefix + ".qzeros", as: Int32.self),
                                             scales: base.values(l.prefix + ".scales", as: UInt16.self),
                                             rows: l.rows, cols: l.cols, group: l.group)
        case .gptq(let zf):
            return try GPTQPacking.unpack(qweight: base.values(l.prefix + ".qweight", as: Int32.self),
                                          qzeros: base.values(l.prefix + ".qzeros", as: Int32.self),
                                          scales: base.values(l.prefix + ".scales", as: UInt16.self), gIdx: try gIdx(l),
                                          rows: l.rows, cols: l.cols, group: l.group, format: zf)
        case .llmAWQ:
            return try LLMAWQPacking.int4(qweight: base.values(l.prefix + ".qweight", as: Int16.self),
                                          scales: base.values(l.prefix + ".scales", as: UInt16.self),
                                          scaledZeros: base.values(l.prefix + ".scaled_zeros", as: UInt16.self),
                                          rows: l.rows, cols: l.cols, group: l.group, paddedGroups: l.paddedGroups)
        }
    }

    /// The tool's dequantization of one packed Linear, f32 row-major [outputs, inputs].
    public func dequantized(_ name: String) throws -> [Float] { try theirs(linear(name)) }

    func linear(_ name: String) throws -> PackedLinear {
        guard let l = linears[name] else { throw ImportError("\(name) is not a packed Linear of \(location)") }
        return l
    }

    func gIdx(_ l: PackedLinear) throws -> [Int32]? {
        try base.info(l.prefix + ".g_idx").map { _ in try base.values(l.prefix + ".g_idx", as: Int32.self) }
    }

    /// The tool's dequantization in f32, row-major [outputs, inputs].
    func theirs(_ l: PackedLinear) throws -> [Float] {
        switch format {
        case .autoAWQ, .gptq:
            let q = try base.values(l.prefix + ".qweight", as: Int32.self), z = try base.values(l.prefix + ".qzeros", as: Int32.self)
            let s = try base.values(l.prefix + ".scales", as: UInt16.self)
            if case .gptq(let zf) = format {
                let gIdx = try gIdx(l) ?? (0..<l.cols).map { Int32($0 / l.group) }
                return try GPTQPacking.dequantize(qweight: q, qzeros: z, scales: s, gIdx: gIdx, rows: l.rows, cols: l.cols, group: l.group, format: zf)
            }
            return try AutoAWQPacking.unpack(qweight: q, qzeros: z, scales: s, rows: l.rows, cols: l.cols, group: l.group)
                .dequantized(rows: l.rows, cols: l.cols, group: l.group)
        case .llmAWQ:
            return try LLMAWQPacking.dequantize(qweight: base.values(l.prefix + ".qweight", as: Int16.self),
                                                scales: base.values(l.prefix + ".scales", as: UInt16.self),
                                                scaledZeros: base.values(l.prefix + ".scaled_zeros", as: UInt16.self),
                                                rows: l.rows, cols: l.cols, group: l.group, paddedGroups: l.paddedGroups)
        }
    }
}
