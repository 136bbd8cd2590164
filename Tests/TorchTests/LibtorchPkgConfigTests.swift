import Foundation
import Testing

/// scripts/write-libtorch-pc.sh, the pkg-config file through which a package depending on arena
/// by version finds libtorch (Package.swift's CLibTorch): only flags SwiftPM passes on (-I, -L,
/// -l), the libraries by full path in the linker script it names, the CUDA ones when present.
/// scripts/check-consumer.sh builds a real consumer with it.
@Suite struct LibtorchPkgConfigTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// A libtorch folder of empty files: the script reads the version header and checks the libraries exist.
    func fakeLibtorch(libraries: [String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-libtorch-pc-\(UUID().uuidString)")
        let headers = folder.appendingPathComponent("torch/include/torch/headeronly")
        try FileManager.default.createDirectory(at: headers, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("torch/lib"), withIntermediateDirectories: true)
        try "#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 15\n#define TORCH_VERSION_PATCH 0\n"
            .write(to: headers.appendingPathComponent("version.h"), atomically: true, encoding: .utf8)
        for library in libraries {
            try "".write(to: folder.appendingPathComponent("torch/lib/\(library)"), atomically: true, encoding: .utf8)
        }
        return folder
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/pkg-config")))
    func theFileHoldsOnlyFlagsSwiftPMPassesOn() throws {
        let folder = try fakeLibtorch(libraries: ["libtorch_cpu.so", "libc10.so"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let torch = folder.appendingPathComponent("torch").path
        let script = repository.appendingPathComponent("scripts/write-libtorch-pc.sh").path
        let written = try run([script, torch, folder.path])
        #expect(written.status == 0, "\(written.output)")

        let environment = ["PKG_CONFIG_PATH": folder.path]
        let flags = try run(["pkg-config", "--cflags", "--libs", "arena-libtorch"], environment: environment)
        #expect(flags.status == 0, "\(flags.output)")
        let words = flags.output.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(words.contains("-I\(torch)/include"))
        #expect(words.contains("-I\(torch)/include/torch/csrc/api/include"))
        #expect(words.contains("-larena-libtorch"))
        // SwiftPM's allow-list (Target+PkgConfig.swift): anything else is dropped with "prohibited flag(s)".
        #expect(words.allSatisfy { $0.hasPrefix("-I") || $0.hasPrefix("-L") || $0.hasPrefix("-l") }, "\(words)")
        #expect(try run(["pkg-config", "--modversion", "arena-libtorch"], environment: environment).output
            .trimmingCharacters(in: .whitespacesAndNewlines) == "2.15.0")
        #expect(try run(["pkg-config", "--variable=libdir", "arena-libtorch"], environment: environment).output
            .trimmingCharacters(in: .whitespacesAndNewlines) == "\(torch)/lib")

        let linkerScript = try String(contentsOf: folder.appendingPathComponent("link/libarena-libtorch.so"), encoding: .utf8)
        #expect(linkerScript.contains("INPUT(\(torch)/lib/libtorch_cpu.so \(torch)/lib/libc10.so)"), "\(linkerScript)")
        #expect(!linkerScript.contains("cuda"))

        // A CUDA install: libtorch_cuda and libc10_cuda are linked too.
        for library in ["libtorch_cuda.so", "libc10_cuda.so"] {
            try "".write(to: folder.appendingPathComponent("torch/lib/\(library)"), atomically: true, encoding: .utf8)
        }
        #expect(try run([script, torch, folder.path]).status == 0)
        let cudaScript = try String(contentsOf: folder.appendingPathComponent("link/libarena-libtorch.so"), encoding: .utf8)
        #expect(cudaScript.contains("\(torch)/lib/libtorch_cuda.so \(torch)/lib/libc10_cuda.so)"), "\(cudaScript)")
    }

    @Test func aFolderWithoutLibrariesIsRefused() throws {
        let folder = try fakeLibtorch(libraries: [])
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = repository.appendingPathComponent("scripts/write-libtorch-pc.sh").path
        let result = try run([script, folder.appendingPathComponent("torch").path, folder.path])
        #expect(result.status != 0)
        #expect(result.output.contains("holds no libtorch_cpu.so"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("arena-libtorch.pc").path))
    }
}
