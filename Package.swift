// swift-tools-version:6.0
import PackageDescription

// Modules depend downward only (ARCHITECTURE.md; Tests/ArchitectureTests checks every import):
// TensorCore ← TensorIO ← ModelGraph, Tokenizer ← GGUF, DeviceBundle, Imaging (formats, no compute)
// ← ReferenceRuntime ← Quantization, Verification ← Chat ← Pipeline ← vlmkit.
// The compute modules are optimized in debug builds too: the test suite runs AWQ, the runners
// and the quantizer on real (if small) models, and unoptimized Swift is 20-50x slower there.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "VLMKit",
    // Built and tested on Linux (x86-64, Debian 12) only. SwiftPM has no way to name Linux here;
    // no Apple platform is claimed, because none is built or tested (README, "Platforms").
    products: [
        .executable(name: "vlmkit", targets: ["vlmkit"]),
        // Readers alone (no C library): safetensors, configs, the typed graph, tokenizers.
        .library(name: "VLMKitReaders", targets: ["TensorCore", "TensorIO", "ModelGraph", "Tokenizer"]),
        // + the container formats (zstd, swift-crypto): GGUF and device bundles, no compute.
        .library(name: "VLMKitFormats", targets: ["TensorCore", "TensorIO", "ModelGraph", "Tokenizer", "GGUF", "DeviceBundle"]),
        // Everything: runtime (OpenBLAS), quantization, verification, imaging (libpng, libjpeg), chat, pipeline.
        .library(name: "VLMKit", targets: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Verification", "DeviceBundle", "GGUF", "Tokenizer", "ChatTemplate", "Imaging", "Chat", "Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries from Debian, found through pkg-config.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        // Thin C wrappers that keep libpng's and libjpeg's setjmp/longjmp error handling out of Swift.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // Decode-time matrix-vector kernels over quantized weights (AVX2+FMA chosen at run time, portable C otherwise).
        .target(name: "CKernels"),

        .target(name: "TensorCore", swiftSettings: optimizedInDebug),
        .target(name: "TensorIO", dependencies: ["TensorCore"], swiftSettings: optimizedInDebug),
        .target(name: "ModelGraph", dependencies: ["TensorCore", "TensorIO"]),
        .target(name: "ReferenceRuntime", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "COpenBLAS", "CKernels"],
                swiftSettings: optimizedInDebug),
        .target(name: "Quantization", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "COpenBLAS", "CKernels"],
                swiftSettings: optimizedInDebug),
        .target(name: "Verification", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime"]),
        .target(name: "DeviceBundle", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "CZstd",
                                                     .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Tokenizer", dependencies: ["TensorIO"]),
        // The Jinja subset of Hugging Face chat templates (tokenizer_config.json's chat_template).
        .target(name: "ChatTemplate", dependencies: ["TensorIO"]),
        .target(name: "Chat", dependencies: ["TensorCore", "ModelGraph", "ReferenceRuntime", "Tokenizer", "ChatTemplate", "Imaging"]),
        .target(name: "Imaging", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "CImageCodecs"]),
        .target(name: "GGUF", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "Tokenizer"]),
        // Opening any model path (checkpoint, quantized folder, bundle), its tokenizer, calibration
        // inputs, stored-model summaries and the exports that need the runtime's view of weights.
        .target(name: "Pipeline", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization",
                                                 "DeviceBundle", "GGUF", "Tokenizer", "Chat"]),
        .executableTarget(
            name: "vlmkit",
            dependencies: [
                "TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Verification", "DeviceBundle", "GGUF", "Tokenizer", "Imaging", "Chat", "Pipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers shared by the test targets (temporary files, fixture paths).
        .target(name: "TestSupport", dependencies: ["TensorCore", "TensorIO"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorCore", "TensorIO", "TestSupport"]),
        .testTarget(name: "ModelGraphTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "TestSupport"]),
        .testTarget(name: "DeviceBundleTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Verification", "DeviceBundle", "Pipeline", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "GGUFTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "GGUF", "Pipeline", "Tokenizer", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "Imaging", "TestSupport"]),
        .testTarget(name: "ChatTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Tokenizer", "Chat", "Imaging", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["TensorIO", "Tokenizer", "TestSupport"]),
        .testTarget(name: "ChatTemplateTests", dependencies: ["TensorIO", "ChatTemplate", "TestSupport"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["ReferenceRuntime", "DeviceBundle", "TensorIO", "TestSupport"]),
        .testTarget(name: "ReferenceRuntimeTests", dependencies: ["TensorCore", "ModelGraph", "ReferenceRuntime", "TestSupport"]),
        .testTarget(name: "QuantizationTests", dependencies: ["TensorCore", "ModelGraph", "ReferenceRuntime", "Quantization", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Verification", "TestSupport"]),
        .testTarget(name: "ArchitectureTests", dependencies: ["TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["vlmkit", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
