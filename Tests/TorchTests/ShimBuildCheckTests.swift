import Foundation
import Testing

/// The shim's build-time checks of the libtorch it is given (issue 12's bad inputs): a folder
/// without headers and a libtorch of another version than the pin each stop the compile with a
/// message saying what to do. The shim is compiled (syntax only) against fake folders.
@Suite struct ShimBuildCheckTests {
    /// clang++ of the Swift toolchain (or on PATH) on ctorch.cpp with `include` as libtorch's.
    func compileShim(include: String, extra: [String] = []) throws -> String {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CTorch")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["clang++", "-std=c++20", "-fsyntax-only", "-I", sources.path + "/include", "-I", include,
                             "-DARENA_TORCH_PIN_MAJOR=2", "-DARENA_TORCH_PIN_MINOR=15"] + extra + [sources.path + "/ctorch.cpp"]
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        return text
    }

    func fakeLibtorch(version: (Int, Int)?) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-libtorch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("torch"), withIntermediateDirectories: true)
        if let (major, minor) = version {
            try "#define TORCH_VERSION_MAJOR \(major)\n#define TORCH_VERSION_MINOR \(minor)\n#define TORCH_VERSION \"\(major).\(minor).0\"\n"
                .write(to: folder.appendingPathComponent("torch/version.h"), atomically: true, encoding: .utf8)
            try "".write(to: folder.appendingPathComponent("torch/torch.h"), atomically: true, encoding: .utf8)
        }
        return folder.path
    }

    @Test func aFolderWithoutHeadersIsNamed() throws {
        let folder = try fakeLibtorch(version: nil)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = try compileShim(include: folder)
        #expect(output.contains("libtorch's headers are not found"), "\(output)")
        #expect(output.contains("run scripts/setup-libtorch.sh"))
    }

    @Test func anotherVersionIsRefusedUnlessAllowed() throws {
        let folder = try fakeLibtorch(version: (2, 14))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = try compileShim(include: folder)
        #expect(output.contains("this libtorch is not the version arena is pinned to"), "\(output)")
        // Allowed: the version check passes (the compile then fails on the fake, empty headers).
        let allowed = try compileShim(include: folder, extra: ["-DARENA_TORCH_ANY_VERSION=1"])
        #expect(!allowed.contains("not the version arena is pinned to"), "\(allowed)")
        let old = try fakeLibtorch(version: (1, 13))
        defer { try? FileManager.default.removeItem(atPath: old) }
        #expect(try compileShim(include: old, extra: ["-DARENA_TORCH_ANY_VERSION=1"]).contains("arena needs libtorch 2.x"))
    }
}
