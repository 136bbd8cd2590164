// swift-tools-version: 6.0
// libFuzzer targets for arena's input readers: scripts/fuzz.sh builds and runs them.
// Separate from the root package so that its `swift build` and CI never build them; this
// package depends on the root by path and builds only ArenaData from it.
import PackageDescription

let targets = ["fuzz-csv", "fuzz-turns", "fuzz-jsonl", "fuzz-submission", "fuzz-request"]

let package = Package(
    name: "arena-fuzz",
    dependencies: [.package(name: "arena", path: "..")],
    targets: [.target(name: "CLibFuzzer")]
        + targets.map { name in
            .executableTarget(
                name: name,
                dependencies: ["CLibFuzzer", .product(name: "ArenaData", package: "arena")],
                path: "Sources/\(name)")
        }
)
