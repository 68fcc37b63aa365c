// swift-tools-version:6.0
// libFuzzer targets for VLMKit's readers (issue 9). Not part of the main build: scripts/fuzz builds this
// package with address sanitizer and libFuzzer coverage instrumentation, links libFuzzer without its main
// (libclang_rt.fuzzer_no_main) and runs each target for a fixed time.
import PackageDescription

let package = Package(
    name: "VLMKitFuzz",
    // scripts/fuzz links .deps/vlmkit to the repository root, so the identity does not depend on the clone's folder name.
    dependencies: [.package(path: ".deps/vlmkit")],
    targets: [
        .executableTarget(
            name: "FuzzTargets",
            dependencies: [.product(name: "VLMKit", package: "vlmkit")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ],
    swiftLanguageModes: [.v5]
)
