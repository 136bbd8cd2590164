// swift-tools-version: 6.0
// arena: predict which of two LLM responses a human prefers (Chatbot Arena votes).
// Module layout and dependency direction: ../shared/DESIGN.md, "Modules".
import Foundation
import PackageDescription

// libtorch: the one inside the pinned PyPI torch wheel (scripts/setup-libtorch.sh installs it
// into .libtorch/torch, as tch-rs does with LIBTORCH_USE_PYTORCH), so arena computes with the
// kernels PyTorch users have. LIBTORCH=/path/to/libtorch (a folder holding include/ and lib/,
// such as .../site-packages/torch of a CUDA PyTorch wheel) builds against another one; the shim
// refuses one of another version than the pin unless LIBTORCH_ANY_VERSION=1, and
// LIBTORCH_CXX11_ABI=0 matches a libtorch built with the old C++ ABI.
let environment = ProcessInfo.processInfo.environment
let pinnedTorch = (major: 2, minor: 15)
var torchDefines: [CXXSetting] = [
    .define("ARENA_TORCH_PIN_MAJOR", to: "\(pinnedTorch.major)"), .define("ARENA_TORCH_PIN_MINOR", to: "\(pinnedTorch.minor)"),
]
if environment["LIBTORCH_CXX11_ABI"] == "0" { torchDefines.append(.define("_GLIBCXX_USE_CXX11_ABI", to: "0")) }
if environment["LIBTORCH_ANY_VERSION"] == "1" { torchDefines.append(.define("ARENA_TORCH_ANY_VERSION", to: "1")) }

// Two ways to reach libtorch. SwiftPM refuses unsafeFlags in a package resolved by version
// ("the target 'CTorch' in product 'Torch' contains unsafe build flags"), so where arena is a
// dependency (SwiftPM's working copy, <scratch>/checkouts/arena) CTorch takes libtorch from the
// system library CLibTorch, that is pkg-config's arena-libtorch: PKG_CONFIG_PATH names the
// folder where scripts/setup-libtorch.sh wrote arena-libtorch.pc (.libtorch, or
// ARENA_LIBTORCH_DIR). README, "arena as a dependency". ARENA_LIBTORCH_PKG_CONFIG=1 takes that
// way in arena's own checkout too, =0 the other in a dependency. The choice is made on the
// path, not on whether .libtorch exists: SwiftPM caches the evaluated manifest by its text and
// environment, so a choice made on files would outlive running scripts/setup-libtorch.sh.
let inDependencyCheckout = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent == "checkouts"
let libtorchFromPkgConfig = environment["ARENA_LIBTORCH_PKG_CONFIG"].map { $0 == "1" } ?? inDependencyCheckout
var torchCxxSettings = torchDefines
var torchLinkerSettings: [LinkerSetting] = [.linkedLibrary("m")]
var torchTargets: [Target] = []
if libtorchFromPkgConfig {
    // The libraries by full path all the same: the .pc file's -l names a linker script listing them.
    torchTargets.append(.systemLibrary(name: "CLibTorch", pkgConfig: "arena-libtorch"))
} else {
    let libtorch = environment["LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(Context.packageDirectory)/.libtorch/torch"
    torchCxxSettings.append(.unsafeFlags(["-I\(libtorch)/include", "-I\(libtorch)/include/torch/csrc/api/include"]))
    // The libraries by full path, not -l: pkg-config's -L/usr/lib/... of other targets comes first on
    // the link line and would pick a system libtorch (Debian's libtorch-dev) over this one.
    var torchLinkerFlags = [
        "\(libtorch)/lib/libtorch_cpu.so", "\(libtorch)/lib/libc10.so", "-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib",
    ]
    // The CUDA kernels register themselves when libtorch_cuda is loaded: link it even though no
    // symbol of it is referenced (scripts/setup-libtorch.sh --cuda installs it).
    if FileManager.default.fileExists(atPath: "\(libtorch)/lib/libtorch_cuda.so") {
        torchLinkerFlags += [
            "-Xlinker", "--no-as-needed", "\(libtorch)/lib/libtorch_cuda.so", "\(libtorch)/lib/libc10_cuda.so", "-Xlinker", "--as-needed",
        ]
    }
    torchLinkerSettings.append(.unsafeFlags(torchLinkerFlags))
}

let package = Package(
    name: "arena",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "arena", targets: ["arena"]),
        .library(name: "FileIO", targets: ["FileIO"]),
        .library(name: "ArenaData", targets: ["ArenaData"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Prediction", targets: ["Prediction"]),
        .library(name: "Runs", targets: ["Runs"]),
        .library(name: "FeatureModels", targets: ["FeatureModels"]),
        .library(name: "Finetuning", targets: ["Finetuning"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
        .library(name: "Features", targets: ["Features"]),
        .library(name: "Boosting", targets: ["Boosting"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "ArenaSentencePiece", type: .dynamic, targets: ["CSentencePiece"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .target(
            name: "CTorch", dependencies: libtorchFromPkgConfig ? ["CLibTorch"] : [],
            // gloo-declarations: the Gloo declarations c10d's ProcessGroupGloo.hpp needs, which the wheel leaves out.
            cxxSettings: torchCxxSettings + [.headerSearchPath("gloo-declarations")], linkerSettings: torchLinkerSettings),
        // Atomic file writing, shared by data files, checkpoints and XGBoost models.
        .target(name: "FileIO"),
        .target(name: "Torch", dependencies: ["CTorch", "FileIO"]),
        .target(name: "CSentencePiece", linkerSettings: [.linkedLibrary("sentencepiece")]),
        // Not a dependency of Tokenizers: loaded with dlopen, see Sources/CSentencePiece/include/csentencepiece.h.
        .target(name: "Tokenizers"),
        .target(name: "Models", dependencies: ["Torch"]),
        .target(name: "ArenaData", dependencies: ["FileIO"]),
        .target(name: "Evaluation", dependencies: ["ArenaData"]),
        // The pipeline, in the order the data flows (docs/ARCHITECTURE.md): battles -> features or
        // tokens -> models -> probabilities -> runs -> reports, servers, the command line.
        .target(name: "Prediction", dependencies: ["ArenaData", "Evaluation"]),
        .target(name: "Runs", dependencies: ["ArenaData", "Evaluation", "Prediction", "FileIO", "CCrypto"]),
        .target(name: "FeatureModels", dependencies: ["ArenaData", "Evaluation", "Features", "Boosting", "Prediction", "Runs"]),
        .target(
            name: "Finetuning", dependencies: ["ArenaData", "Evaluation", "Features", "Models", "Tokenizers", "Torch", "Prediction", "Runs"]),
        .target(
            name: "Pipelines",
            dependencies: ["ArenaData", "Evaluation", "Prediction", "Runs", "Report", "Features", "FeatureModels", "Finetuning", "Models", "Torch"]),
        .target(name: "Features", dependencies: ["ArenaData"]),
        .systemLibrary(name: "CXGBoost", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Boosting", dependencies: ["CXGBoost", "FileIO"]),
        .target(name: "Report", dependencies: ["ArenaData", "Prediction", "Runs"]),
        .target(name: "Server", dependencies: ["ArenaData", "Pipelines", .product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(
            name: "arena",
            dependencies: [
                "ArenaData", "Evaluation", "Prediction", "Runs", "Features", "FeatureModels", "Finetuning", "Pipelines", "Boosting", "Report",
                "Models", "Tokenizers", "Torch", "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "torch-step-benchmark", dependencies: ["Torch"], path: "benchmarks/TorchStep"),
        .executableTarget(name: "tokenize-benchmark", dependencies: ["Tokenizers"], path: "benchmarks/TokenizeBench"),
        .executableTarget(name: "matmul-benchmark", dependencies: ["Torch"], path: "benchmarks/MatmulBench"),
        // One rank of a c10d process group, for Tests/TorchTests/ProcessGroupTests.swift (which starts several).
        .executableTarget(name: "process-group-check", dependencies: ["Torch"], path: "Tests/ProcessGroupCheck"),
        .testTarget(name: "ArenaDataTests", dependencies: ["ArenaData"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Prediction", "Runs", "FeatureModels", "Finetuning", "Pipelines", "Features", "Boosting", "Models", "Tokenizers", "Torch"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArenaCLITests", dependencies: ["arena", "ArenaData", "Evaluation", "Torch"], exclude: ["Fixtures"]),
        .testTarget(name: "BoostingTests", dependencies: ["Boosting"], resources: [.copy("Fixtures")]),
        // FeatureModels and Finetuning only for their settings types in run configs.
        .testTarget(name: "ReportTests", dependencies: ["Report", "Prediction", "Runs", "FeatureModels", "Finetuning"]),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "Pipelines", "Prediction", "Runs", "ArenaData", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Torch"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "process-group-check"], resources: [.copy("Fixtures")]),
    ] + torchTargets,
    cxxLanguageStandard: .cxx20
)
