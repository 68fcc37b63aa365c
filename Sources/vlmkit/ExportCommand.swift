import ArgumentParser
import Pipeline
import DeviceBundle
import Foundation
import GGUF
import ModelGraph
import Quantization
import ReferenceRuntime
import TensorIO

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Package a model as a device bundle, or its language model as GGUF for llama.cpp.",
        discussion: """
        A bundle (formats/bundle.md) is one memory-mappable file: a 128-byte header, the model's \
        config, tokenizer and preprocessing files, every tensor as a 64-byte-aligned blob with its \
        SHA-256, and a JSON manifest (architecture, per-tensor quantization, source identity). \
        With --zstd, blobs are compressed for transport (a blob that does not shrink is stored as \
        is). Writing streams tensor by tensor and is atomic. run, verify and inspect accept a bundle \
        wherever they accept a checkpoint, so `vlmkit verify BUNDLE --golden …` checks the bytes that ship.

        With --format gguf the language model is written as a GGUF v3 file llama.cpp loads \
        (formats/gguf-export.md): --type f32, f16, q8_0, q4_0 or q4_1 for the matrices (norms stay \
        f32), q/k rows permuted to llama.cpp's rotary layout, the byte-level BPE tokenizer from \
        tokenizer.json. A quantized model is dequantized first, then requantized to --type.

        With --format mmproj the vision tower and projector are written for llama.cpp's mtmd where one \
        of its projectors computes them: NVILA-order mlp_downsample as 'lfm2', SigLIP mlp2x_gelu as \
        'mlp' — both only up to llama.cpp's tanh GELU, so --allow-approximate is needed; any other \
        model is refused with the reason (formats/gguf-export.md).

        With --format autoawq an int4 quantized model (quantize --scheme int4, RTN or AWQ, or an \
        import) is written as a folder of AutoAWQ GEMM safetensors in the checkpoint's own layout \
        (formats/quantization.md): the language model packed (qweight, qzeros, scales; \
        quantization_config in its config.json) for vLLM, TensorRT-LLM, sglang and transformers, \
        the vision tower and projector float beside it. The int4 values are repacked, not re-rounded.

        Examples:
          vlmkit export /tmp/q8 -o /tmp/model.vlmb
          vlmkit export golden/models/vila-clip-linear-f16 -o /tmp/f16.vlmb --zstd 3
          vlmkit export golden/models/vila-clip-linear-f16 --format gguf --type q8_0 -o /tmp/llm-q8_0.gguf
          vlmkit export /tmp/int4 --format autoawq -o /tmp/model-awq
        """
    )

    @Argument(help: "Checkpoint folder or quantized model folder.")
    var model: String

    @Option(name: [.short, .customLong("output")], help: "File to write (bundle, gguf, mmproj) or folder to create (autoawq).")
    var output: String

    @Option(help: "Output format: bundle, gguf (the language model), mmproj (vision tower + projector for llama.cpp) or autoawq (an int4 model as AutoAWQ GEMM safetensors).")
    var format: ExportFormat = .bundle

    @Option(help: "GGUF tensor type for matrices (--format gguf: f32, f16, q8_0, q4_0, q4_1; --format mmproj: f32 or f16; default f16).")
    var type: GGUFTypeArgument?

    @Option(parsing: .unconditional, help: "Compress blobs with zstd at this level, 1–19 (--format bundle only).")
    var zstd: Int32?

    @Flag(help: "--format mmproj: write it where llama.cpp's projector computes the model only approximately (its tanh GELU for VILA's exact one); the reasons are printed.")
    var allowApproximate = false

    @OptionGroup var nonFinite: NonFiniteOption

    @OptionGroup var modelOverrides: ModelOverrideOptions

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        if type != nil, format != .gguf, format != .mmproj {
            throw ValidationError("--type applies to --format gguf and mmproj only (a bundle keeps the model's own storage)")
        }
        if allowApproximate, format != .mmproj { throw ValidationError("--allow-approximate applies to --format mmproj only") }
        if let z = zstd {
            guard format == .bundle else { throw ValidationError("--zstd applies to --format bundle only") }
            guard (1...19).contains(z) else { throw ValidationError("--zstd takes a level from 1 to 19, not \(z)") }
        }
    }

    func run() throws {
        try FileSystem.requireDistinct(output: output, inputs: [model])
        if format == .gguf { return try exportGGUF() }
        if format == .autoawq { return try exportAutoAWQ() }
        if format == .mmproj { return try exportMMProj() }
        let input: BundleInput = QuantizedModel.isQuantizedModel(model)
            ? try .quantized(QuantizedModel(path: model, overrides: modelOverrides.overrides))
            : try .checkpoint(ModelSource.loadGraph(model, overrides: modelOverrides.overrides))
        var options = BundleWriter.Options()
        options.zstdLevel = zstd
        options.toolVersion = "vlmkit \(VLMKitCommand.version)"
        options.allowNonFinite = nonFinite.allowNonfinite
        let progress = Progress(label: "exporting")
        let s = try BundleWriter.write(input, to: output, options: options) { progress.update(done: $0, total: $1) }
        progress.finish()
        if json {
            print(try JSONOutput.encode(s))
        } else {
            print("wrote \(s.path): \(InspectText.bytes(s.fileBytes)), \(s.tensors) tensors, \(s.files) files"
                  + (s.compressedBlobs > 0 ? ", \(s.compressedBlobs) blobs zstd-compressed (\(InspectText.bytes(s.rawTensorBytes)) → \(InspectText.bytes(s.storedTensorBytes)))" : ""))
        }
    }
}

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case bundle, gguf, mmproj, autoawq
}

extension ExportCommand {
    func exportGGUF() throws {
        let source = try ModelSource.open(model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides)
        let files = try ModelTokenizer.configFiles(model)
        let progress = Progress(label: "exporting")
        let name = URL(fileURLWithPath: model).lastPathComponent
        let s = try LlamaGGUFExport.export(source: source, files: files, to: output, type: GGMLType(name: (type ?? .f16).rawValue)!, name: name) {
            progress.update(done: $0, total: $1)
        }
        progress.finish()
        print(json ? try JSONOutput.encode(s) : "wrote \(s.path): \(InspectText.bytes(s.bytes)), \(s.tensors) tensors, \(s.type) (language model only)")
    }
}

extension ExportCommand {
    func exportMMProj() throws {
        let source = try ModelSource.open(model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides)
        let files = try ModelTokenizer.configFiles(model)
        let progress = Progress(label: "exporting")
        let s = try MMProjExport.export(source: source, files: files, to: output, type: GGMLType(name: (type ?? .f16).rawValue)!,
                                        allowApproximate: allowApproximate, name: URL(fileURLWithPath: model).lastPathComponent) {
            progress.update(done: $0, total: $1)
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(s))
        } else {
            print("wrote \(s.path): \(InspectText.bytes(s.bytes)), \(s.tensors) tensors, llama.cpp projector '\(s.projectorType)' (vision tower + projector)")
            for a in s.approximations { FileHandleOutput.stderr("vlmkit: note: approximate: \(a)") }
        }
    }

    func exportAutoAWQ() throws {
        guard QuantizedModel.isQuantizedModel(model) else {
            throw ValidationError("--format autoawq takes a quantized model folder; make one with `vlmkit quantize \(model) --scheme int4 -o DIR` (or `vlmkit import`)")
        }
        let q = try QuantizedModel(path: model, allowNonFinite: nonFinite.allowNonfinite, overrides: modelOverrides.overrides)
        let progress = Progress(label: "exporting")
        let s = try AutoAWQExport.export(q, to: output) { progress.update(done: $0, total: $1) }
        progress.finish()
        print(json ? try JSONOutput.encode(s)
              : "wrote \(s.path): AutoAWQ GEMM, group size \(s.groupSize), \(s.packedLinears) packed Linears, \(s.floatTensors) float tensors, \(InspectText.bytes(s.bytes))"
                + (s.modulesNotConverted.isEmpty ? "" : "; kept float (modules_to_not_convert): \(s.modulesNotConverted.joined(separator: ", "))"))
    }
}

struct VerifyBundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Check a bundle's integrity: header and manifest, or (--full) every blob's SHA-256.",
        discussion: """
        Exit 0 when intact, 2 with a one-line error naming the damaged part otherwise.

        Example:
          vlmkit verify-bundle model.vlmb --full
        """
    )

    @Argument(help: "Bundle file.")
    var bundle: String

    @Flag(help: "Hash every blob, not just the header and manifest, and check float tensors for NaN/Inf.")
    var full = false

    @OptionGroup var nonFinite: NonFiniteOption

    @Flag(help: "Print one JSON object (path, what was verified, blob count).")
    var json = false

    func run() throws {
        let b = try DeviceBundleFile(path: bundle)
        if full {
            let progress = Progress(label: "hashing")
            try b.verifyBlobs(allowNonFinite: nonFinite.allowNonfinite) { progress.update(done: $0, total: $1) }
            progress.finish()
        }
        if json {
            struct Verified: Encodable { let path: String; let ok: Bool; let full: Bool; let blobs: Int }
            print(try JSONOutput.encode(Verified(path: bundle, ok: true, full: full, blobs: b.blobs.count + b.files.count)))
        } else {
            print("\(bundle): OK (\(full ? "header, manifest and \(b.blobs.count + b.files.count) blobs" : "header and manifest") verified)")
        }
    }
}
