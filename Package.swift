// swift-tools-version: 6.0
// arena: predict which of two LLM responses a human prefers (Chatbot Arena votes).
// Module layout and dependency direction: ../shared/DESIGN.md, "Modules".
import PackageDescription

let package = Package(
    name: "arena",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "arena", targets: ["arena"]),
        .library(name: "ArenaData", targets: ["ArenaData"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Features", targets: ["Features"]),
        .library(name: "Boosting", targets: ["Boosting"]),
        .library(name: "Report", targets: ["Report"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "ArenaData"),
        .target(name: "Evaluation", dependencies: ["ArenaData"]),
        .target(name: "Training", dependencies: ["ArenaData", "Evaluation", "Features", "Boosting"]),
        .target(name: "Features", dependencies: ["ArenaData"]),
        .systemLibrary(name: "CXGBoost", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        .target(name: "Boosting", dependencies: ["CXGBoost"]),
        .target(name: "Report", dependencies: ["ArenaData", "Training"]),
        .executableTarget(
            name: "arena",
            dependencies: [
                "ArenaData", "Evaluation", "Training", "Boosting", "Report",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ArenaDataTests", dependencies: ["ArenaData"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ArenaCLITests", dependencies: ["arena", "ArenaData", "Evaluation"]),
        .testTarget(name: "BoostingTests", dependencies: ["Boosting"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
    ]
)
