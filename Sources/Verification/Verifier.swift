import ModelGraph
import ReferenceRuntime
import TensorCore

/// Limits a verification must stay within. Defaults suit float32 execution; golden metadata
/// (`tolerance.max_rel`, …) and command-line flags override them.
public struct Tolerances: Sendable, Encodable {
    /// Largest error relative to max |expected| allowed in vision features, projector output and logits.
    public var maxRel: Double = 1e-4
    /// Smallest fraction of positions whose arg-max must agree.
    public var minTop1: Double = 1
    /// Largest mean KL divergence of the logits (nats).
    public var maxKL: Double = 1e-6
    /// Whether the greedy continuation must match token for token.
    public var requireGenerated = true

    public init() {}

    /// Every limit must be a number in its range; a NaN limit would make every comparison with
    /// it false, and a verifier must fail closed, so it is refused before anything runs.
    public func validate() throws {
        func require(_ ok: Bool, _ name: String, _ value: Double, _ range: String) throws {
            if !ok { throw VerificationError.badTolerance(name: name, value: value, allowed: range) }
        }
        try require(maxRel.isFinite && maxRel >= 0, "max_rel", maxRel, "a finite number ≥ 0")
        try require(minTop1 >= 0 && minTop1 <= 1, "min_top1", minTop1, "0…1")
        try require(maxKL.isFinite && maxKL >= 0, "max_kl", maxKL, "a finite number ≥ 0")
    }
}

/// A golden file or tolerance that cannot be used with this model: bad input (exit 2), not a
/// verification failure.
public enum VerificationError: Error, CustomStringConvertible, Equatable {
    case badTolerance(name: String, value: Double, allowed: String)
    case badToleranceText(file: String, name: String, text: String)
    case goldenDoesNotFit(file: String, stage: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .badTolerance(name, value, allowed):
            return "tolerance \(name) is \(value); it must be \(allowed)"
        case let .badToleranceText(file, name, text):
            return "\(file): metadata tolerance.\(name) is \"\(text)\", not a number"
        case let .goldenDoesNotFit(file, stage, expected, actual):
            return "\(file): its \(stage) have shape \(expected) but this model gives \(actual); the golden file was made for another model"
        }
    }
}

/// One stage's verdict.
public struct StageResult: Sendable, Encodable {
    public let stage: String
    public let passed: Bool
    public let metrics: StageMetrics?
    /// Human-readable reasons when not passed, or a note ("not in the golden file").
    public let detail: String
}

public struct VerificationReport: Sendable, Encodable {
    public let model: String
    public let golden: String
    public let tolerances: Tolerances
    public let stages: [StageResult]
    public let generatedExpected: [Int64]?
    public let generatedActual: [Int64]
    /// The first stage that failed, or nil when everything passed.
    public var firstFailure: String? { stages.first { !$0.passed }?.stage }
    public var passed: Bool { firstFailure == nil }
}

/// Runs a model on a golden file's inputs and compares stage by stage:
/// vision → projector → logits → generated ids.
public enum Verifier {
    public static func verify(graph: VLMGraph, runner: VLMRunner, golden: GoldenFile, tolerances: Tolerances) throws -> VerificationReport {
        try verify(model: graph.path, runner: runner, golden: golden, tolerances: tolerances)
    }

    public static func verify(model: String, runner: VLMRunner, golden: GoldenFile, tolerances: Tolerances) throws -> VerificationReport {
        try tolerances.validate()
        let steps = golden.expected.generatedIDs?.count ?? 0
        let out = try runner.run(golden.inputs, maxNewTokens: steps)
        var stages: [StageResult] = []

        func floatStage(_ name: String, _ actual: Tensor?, _ expected: Tensor?, logits: Bool = false) throws {
            guard let expected else {
                stages.append(StageResult(stage: name, passed: true, metrics: nil, detail: "not in the golden file"))
                return
            }
            guard let actual, actual.shape == expected.shape else {
                throw VerificationError.goldenDoesNotFit(file: golden.path, stage: name == "vision" ? "vision features" : name == "projector" ? "projector outputs" : name,
                                                         expected: "\(expected.shape)", actual: actual.map { "\($0.shape)" } ?? "none")
            }
            let m = logits
                ? StageMetrics.compareLogits(actual: actual.data, expected: expected.data, vocab: expected.shape.dims.last ?? 0)
                : StageMetrics.compare(actual: actual.data, expected: expected.data)
            var problems: [String] = []
            if !(m.maxRelError <= tolerances.maxRel) {
                problems.append("max relative error \(fmt(m.maxRelError)) > \(fmt(tolerances.maxRel)) at \(position(m.worstIndex, expected.shape))")
            }
            // Every test is written so that NaN (measured or limit) fails.
            if let t = m.top1Agreement, !(t >= tolerances.minTop1) {
                problems.append("top-1 agreement \(fmt(t)) < \(fmt(tolerances.minTop1))")
            }
            if let kl = m.meanKL, !(kl <= tolerances.maxKL) {
                problems.append("mean KL \(fmt(kl)) > \(fmt(tolerances.maxKL))")
            }
            stages.append(StageResult(stage: name, passed: problems.isEmpty, metrics: m, detail: problems.joined(separator: "; ")))
        }

        try floatStage("vision", out.visionFeatures, golden.expected.visionFeatures)
        try floatStage("projector", out.projected, golden.expected.projected)
        try floatStage("logits", out.logits, golden.expected.logits, logits: true)
        if let want = golden.expected.generatedIDs {
            let got = out.generatedIDs
            var mismatch = zip(want, got).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            if mismatch == nil && want.count != got.count { mismatch = min(want.count, got.count) }
            let ok = mismatch == nil || !tolerances.requireGenerated
            let detail = mismatch.map { i in
                "first difference at step \(i): expected \(i < want.count ? String(want[i]) : "end"), got \(i < got.count ? String(got[i]) : "end")"
            } ?? ""
            stages.append(StageResult(stage: "generated", passed: ok, metrics: nil, detail: detail))
        }
        return VerificationReport(model: model, golden: golden.path, tolerances: tolerances, stages: stages,
                                  generatedExpected: golden.expected.generatedIDs, generatedActual: out.generatedIDs)
    }

    /// "[image 1, token 3, channel 7]"-style position of a flat index.
    static func position(_ flat: Int, _ shape: Shape) -> String {
        var rest = flat
        var idx = [Int](repeating: 0, count: shape.rank)
        for i in stride(from: shape.rank - 1, through: 0, by: -1) where shape[i] > 0 {
            idx[i] = rest % shape[i]
            rest /= shape[i]
        }
        return "index \(idx)"
    }

    static func fmt(_ x: Double) -> String {
        if x == 0 { return "0" }
        if abs(x) >= 1e-3 && abs(x) < 1e4 { return String(format: "%.4f", x) }
        return String(format: "%.3e", x)
    }
}

import Foundation
