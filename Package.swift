// swift-tools-version:6.0
import PackageDescription

// Module layout follows the pipeline: TensorCore → TensorIO → ModelGraph → (Quantization) →
// ReferenceRuntime → DeviceBundle / GGUF → vlmkit. Lower stages never import higher ones.
let package = Package(
    name: "VLMKit",
    // Built and tested on Linux (x86-64, Debian 12) only. SwiftPM has no way to name Linux here;
    // no Apple platform is claimed, because none is built or tested (README, "Platforms").
    products: [
        .executable(name: "vlmkit", targets: ["vlmkit"]),
        .library(name: "VLMKit", targets: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Verification", "DeviceBundle", "GGUF", "Tokenizer", "Imaging", "Chat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries from Debian, found through pkg-config.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        // Thin C wrappers that keep libpng's and libjpeg's setjmp/longjmp error handling out of Swift.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // Decode-time matrix-vector kernels over quantized weights (AVX2+FMA chosen at run time, portable C otherwise).
        .target(name: "CKernels"),

        .target(name: "TensorCore"),
        .target(name: "TensorIO", dependencies: ["TensorCore", "CJSONC"]),
        .target(name: "ModelGraph", dependencies: ["TensorCore", "TensorIO"]),
        .target(name: "ReferenceRuntime", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "COpenBLAS", "CKernels"]),
        .target(name: "Quantization", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "COpenBLAS", "CKernels"]),
        .target(name: "Verification", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime"]),
        .target(name: "DeviceBundle", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "CZstd",
                                                     .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Tokenizer", dependencies: ["TensorIO"]),
        .target(name: "Chat", dependencies: ["TensorCore", "ModelGraph", "ReferenceRuntime", "Tokenizer", "Imaging"]),
        .target(name: "Imaging", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "CImageCodecs"]),
        .target(name: "GGUF", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Tokenizer"]),
        .executableTarget(
            name: "vlmkit",
            dependencies: [
                "TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Verification", "DeviceBundle", "GGUF", "Tokenizer", "Imaging", "Chat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers shared by the test targets (temporary files, fixture paths).
        .target(name: "TestSupport", dependencies: ["TensorCore", "TensorIO"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorCore", "TensorIO", "TestSupport"]),
        .testTarget(name: "ModelGraphTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "TestSupport"]),
        .testTarget(name: "DeviceBundleTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "Verification", "DeviceBundle", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "GGUFTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Quantization", "GGUF", "Tokenizer", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "Imaging", "TestSupport"]),
        .testTarget(name: "ChatTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Tokenizer", "Chat", "Imaging", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["TensorIO", "Tokenizer", "TestSupport"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["ReferenceRuntime", "DeviceBundle", "TensorIO", "TestSupport"]),
        .testTarget(name: "ReferenceRuntimeTests", dependencies: ["TensorCore", "ModelGraph", "ReferenceRuntime", "TestSupport"]),
        .testTarget(name: "QuantizationTests", dependencies: ["TensorCore", "ModelGraph", "ReferenceRuntime", "Quantization", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["TensorCore", "TensorIO", "ModelGraph", "ReferenceRuntime", "Verification", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["vlmkit", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
