import ArgumentParser
import Pipeline
import Foundation
import ModelGraph
import ReferenceRuntime
import DeviceBundle
import Quantization
import TensorIO
import Verification

/// `verify --report`: the verification plus, for quantized models, each tensor's storage and error.
struct FullReport: Encodable {
    let verification: VerificationReport
    let quantization: QuantizationInfo?
}

struct QuantizationInfo: Encodable {
    struct Entry: Encodable {
        let slot: String
        let storage: String
        let nmse: Double?
        let maxAbsError: Double?
    }
    let method: String
    let tensors: [Entry]

    init?(_ source: any WeightSource) {
        let entries: JSONValue?
        if let m = source as? QuantizedModel {
            method = m.manifest["method"]?.stringValue ?? ""
            entries = m.manifest["tensors"]
        } else if let w = source as? QuantizedWeights, let b = w.store as? DeviceBundleFile {
            method = "bundle"
            entries = b.manifest["quantization"]
        } else {
            return nil
        }
        tensors = (entries?.objectValue ?? []).map { slot, e in
            Entry(slot: slot, storage: e["scheme"]?.stringValue ?? e["dtype"]?.stringValue ?? "",
                  nmse: e["nmse"]?.doubleValue, maxAbsError: e["max_abs_error"]?.doubleValue)
        }
    }
}

struct VerifyCommand: ParsableCommand, ComputingCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a model against golden outputs, stage by stage.",
        discussion: """
        Runs the model on the golden file's inputs and compares vision features → projector output → \
        logits → greedy continuation with what an independent implementation (PyTorch + transformers, \
        golden/generate.py) computed. Per stage: max absolute error, max error relative to \
        max |expected|, cosine similarity; for logits also top-1 agreement and mean KL divergence. \
        The first stage out of tolerance is named.

        Tolerances default to float32 levels (relative 1e-4, top-1 1.0, KL 1e-6, identical tokens), \
        are overridden by the golden file's metadata (tolerance.max_rel, tolerance.min_top1, \
        tolerance.max_kl), and by the flags below.

        Exit codes: 0 pass, 1 out of tolerance, 2 bad input.

        Example:
          vlmkit verify golden/models/vila-clip-linear-f16 --golden golden/cases/vila-clip-linear-f16.golden.safetensors
        """
    )

    @Argument(help: "Checkpoint folder (VILA or LLaVA-HF layout) or quantized model folder.")
    var model: String

    @Option(help: "Golden file (formats/golden.md).")
    var golden: String

    @Option(parsing: .unconditional, help: "Largest error relative to max |expected| per float stage.")
    var maxRel: Double?

    @Option(parsing: .unconditional, help: "Smallest fraction of positions whose top-1 token must agree.")
    var minTop1: Double?

    @Option(name: [.customLong("max-kl"), .customLong("max-kld")], parsing: .unconditional, help: "Largest mean KL divergence of the logits, in nats.")
    var maxKL: Double?

    @Option(help: "Also write the full report (per-stage errors, per-tensor quantization error) as JSON to this file.")
    var report: String?

    @Flag(help: "Do not require the greedy continuation to match.")
    var ignoreGenerated = false

    @OptionGroup var compute: ComputeOptions

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    func validate() throws {
        var flags = Tolerances()
        flags.maxRel = maxRel ?? 0
        flags.minTop1 = minTop1 ?? 0
        flags.maxKL = maxKL ?? 0
        do { try flags.validate() } catch let e as VerificationError {
            guard case let .badTolerance(name, value, allowed) = e else { throw e }
            let flag = ["max_rel": "--max-rel", "min_top1": "--min-top1", "max_kl": "--max-kl"][name] ?? name
            throw ValidationError("\(flag) \(value) is not allowed; it must be \(allowed)")
        }
    }

    func run() throws {
        let source = try ModelSource.open(model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides)
        let file = try GoldenFile(path: golden)
        var tol = Tolerances()
        tol.maxRel = try maxRel ?? file.tolerance("max_rel") ?? tol.maxRel
        tol.minTop1 = try minTop1 ?? file.tolerance("min_top1") ?? tol.minTop1
        tol.maxKL = try maxKL ?? file.tolerance("max_kl") ?? tol.maxKL
        tol.requireGenerated = !ignoreGenerated
        let runner = try VLMRunner(weights: source)
        let result = try Verifier.verify(model: model, runner: runner, golden: file, tolerances: tol)
        if let path = report {
            let full = FullReport(verification: result, quantization: QuantizationInfo(source))
            try FileSystem.writeText(try JSONOutput.encode(full) + "\n", to: path)
        }
        print(json ? try JSONOutput.encode(result) : VerifyText.render(result))
        if !result.passed { throw ExitCode(1) }
    }
}

enum VerifyText {
    static func render(_ r: VerificationReport) -> String {
        var out = ["verify \(r.model) against \(r.golden)", ""]
        out.append(InspectText.pad("stage", 11) + InspectText.pad("max abs", 12, right: true) + InspectText.pad("max rel", 12, right: true)
                   + InspectText.pad("cosine", 12, right: true) + InspectText.pad("top-1", 9, right: true)
                   + InspectText.pad("mean KL", 12, right: true) + "  verdict")
        for s in r.stages {
            var row = InspectText.pad(s.stage, 11)
            if let m = s.metrics {
                row += InspectText.pad(num(m.maxAbsError), 12, right: true) + InspectText.pad(num(m.maxRelError), 12, right: true)
                row += InspectText.pad(String(format: "%.8f", m.cosineSimilarity), 12, right: true)
                row += InspectText.pad(m.top1Agreement.map { String(format: "%.4f", $0) } ?? "", 9, right: true)
                row += InspectText.pad(m.meanKL.map(num) ?? "", 12, right: true)
            } else {
                row += String(repeating: " ", count: 57)
            }
            row += "  " + (s.passed ? "ok" : "FAIL") + (s.detail.isEmpty ? "" : " (\(s.detail))")
            out.append(row)
        }
        if let want = r.generatedExpected {
            out.append("")
            out.append("generated  expected \(want.map(String.init).joined(separator: " "))")
            out.append("           actual   \(r.generatedActual.map(String.init).joined(separator: " "))")
        }
        out.append("")
        out.append(r.firstFailure.map { "FAILED: first divergence at stage '\($0)'" } ?? "PASSED")
        return out.joined(separator: "\n")
    }

    static func num(_ x: Double) -> String { String(format: "%.3e", x) }
}
