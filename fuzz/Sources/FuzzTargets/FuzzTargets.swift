import Foundation
import DeviceBundle
import GGUF
import Imaging
import ModelGraph
import TensorIO
import Tokenizer

/// One libFuzzer entry point; the target is chosen by the VLMKIT_FUZZ_TARGET environment variable
/// (safetensors, json, config, bundle, gguf, sentencepiece, tokenizer-json). Inputs are written to a
/// temporary file where a reader needs a path. Errors are expected; crashes, hangs and sanitizer
/// reports are findings.
let target = ProcessInfo.processInfo.environment["VLMKIT_FUZZ_TARGET"] ?? "safetensors"
let scratch = NSTemporaryDirectory() + "vlmkit-fuzz-\(getpid())"

/// libFuzzer's driver, from libclang_rt.fuzzer_no_main (linked by scripts/fuzz).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@main
struct FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data else { return 0 }
            return fuzz(data, size)
        })
    }
}

/// A CLIP tower at 28 px, for the preprocessing run after each decoded image.
let fuzzVision: VisionConfig = {
    let json = try! JSONParser.parse(#"{"model_type": "clip_vision_model", "image_size": 28, "patch_size": 14, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}"#)
    return try! VisionConfig(ConfigObject(json: json, file: "fuzz"))
}()

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func viaFile(_ name: String, _ body: (String) throws -> Void) {
        let path = scratch + "-" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        try? body(path)
    }
    switch target {
    case "json":
        _ = try? JSONParser.parse(bytes)
    case "config":
        if let json = try? JSONParser.parse(bytes), let c = try? ConfigObject(json: json, file: "fuzz") {
            _ = try? LlamaConfig(c)
            _ = try? VisionConfig(c)
            _ = try? ImageProcessorConfig(c)
        }
    case "bundle":
        viaFile("b.vlmb") { p in
            let b = try DeviceBundleFile(path: p)
            try b.verifyBlobs()
            _ = try? b.weights()
        }
    case "gguf":
        viaFile("m.gguf") { p in
            let f = try GGUFFile(path: p)
            for t in f.tensors.prefix(4) { _ = try? f.floats(t.name) }
        }
    case "sentencepiece":
        if let m = try? SentencePieceModel(bytes: bytes, file: "fuzz") {
            let t = SentencePieceTokenizer(m)
            _ = t.decode(t.encode("fuzz the tokenizer ▁ 東京 😀"))
        }
    case "tokenizer-json":
        if let json = try? JSONParser.parse(bytes), let t = try? TextTokenizer.load(sentencePieceModel: nil, tokenizerJSON: json, file: "fuzz") {
            _ = t.decode(t.encode("fuzz the tokenizer <|x|> </s> 東京 😀  x", addSpecialTokens: true), skipSpecial: true)
        }
    case "image":
        // Small pixel limit: the decoder must refuse big claims from the header alone.
        let image = bytes.withUnsafeBytes { try? ImageDecoder.decode(bytes: $0, label: "fuzz", maxPixels: 1 << 20) }
        if let image {
            for aspect in AspectMode.allCases {
                var p = ImagePreprocessor(config: .defaults(for: fuzzVision), aspect: aspect)
                p.maxPixels = 1 << 20
                _ = try? p.pixels(image)
            }
        }
    default:
        viaFile("s.safetensors") { p in
            let f = try SafetensorsFile(path: p)
            for n in f.tensorNames.prefix(4) { _ = try? f.float32(n) }
        }
    }
    return 0
}
