/// A weight quantization scheme, as a value (formats/quantization.md).
public enum QuantScheme: Hashable, Sendable, CustomStringConvertible {
    /// W8A16: one f16 scale per output row, q = clamp(round(w / s), −127, 127), s = max|w_row| / 127.
    case int8
    /// 4-bit, groups of `groupSize` along the input dimension, one f16 scale per group;
    /// asymmetric groups also carry a 4-bit zero-point.
    case int4(groupSize: Int, symmetric: Bool)

    public static let supportedGroupSizes = [32, 64, 128]

    /// `int8`, `int4-g128` (asymmetric), `int4-g64-sym`.
    public var description: String {
        switch self {
        case .int8: return "int8"
        case let .int4(g, sym): return "int4-g\(g)" + (sym ? "-sym" : "")
        }
    }

    /// Parses the spelling `description` produces; also `int4` (g128, asymmetric).
    public init?(_ text: String) {
        if text == "int8" { self = .int8; return }
        if text == "int4" { self = .int4(groupSize: 128, symmetric: false); return }
        guard text.hasPrefix("int4-g") else { return nil }
        var rest = text.dropFirst("int4-g".count)
        var sym = false
        if rest.hasSuffix("-sym") { sym = true; rest = rest.dropLast(4) }
        guard let g = Int(rest), Self.supportedGroupSizes.contains(g) else { return nil }
        self = .int4(groupSize: g, symmetric: sym)
    }

    public var bits: Int { self == .int8 ? 8 : 4 }

    public var groupSize: Int? {
        if case let .int4(g, _) = self { return g }
        return nil
    }

    /// Stored bytes for a [rows, cols] weight (packed values, f16 scales, zero-points).
    public func storedBytes(rows: Int, cols: Int) -> Int {
        switch self {
        case .int8: return rows * cols + rows * 2
        case let .int4(g, sym):
            let groups = rows * (cols / g)
            return rows * cols / 2 + groups * 2 + (sym ? 0 : groups)
        }
    }
}

/// What quantizing one tensor lost.
public struct QuantStats: Sendable, Codable, Equatable {
    /// Σ(w − ŵ)² / Σw² (0 for an all-zero tensor).
    public var nmse: Double
    public var maxAbsError: Double
    public var elements: Int

    public init(nmse: Double, maxAbsError: Double, elements: Int) {
        self.nmse = nmse
        self.maxAbsError = maxAbsError
        self.elements = elements
    }

    /// Compares a weight with its dequantized form.
    public static func measure(original w: [Float], dequantized q: [Float]) -> QuantStats {
        var err = 0.0, ref = 0.0, maxAbs = 0.0
        for i in 0..<w.count {
            let d = Double(w[i]) - Double(q[i])
            err += d * d
            ref += Double(w[i]) * Double(w[i])
            maxAbs = max(maxAbs, abs(d))
        }
        return QuantStats(nmse: ref == 0 ? 0 : err / ref, maxAbsError: maxAbs, elements: w.count)
    }
}

public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case groupDoesNotDivide(tensor: String, columns: Int, groupSize: Int)
    case notAMatrix(tensor: String, shape: [Int])
    case scaleOverflow(tensor: String, row: Int)
    case nonFinite(tensor: String)

    public var description: String {
        switch self {
        case let .groupDoesNotDivide(t, c, g):
            return "\(t): input dimension \(c) is not a multiple of the group size \(g); choose another --group-size or keep this tensor (--keep)"
        case let .notAMatrix(t, s): return "\(t): expected a 2-D weight, found shape \(s)"
        case let .scaleOverflow(t, r): return "\(t): row \(r) needs a scale larger than float16 can hold"
        case let .nonFinite(t): return "\(t): weight contains NaN or infinity"
        }
    }
}
