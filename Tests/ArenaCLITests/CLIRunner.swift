import Foundation
import Testing

/// Runs the built `arena` executable, as a user would, and captures what it prints.
struct CLIResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

enum CLI {
    /// The `arena` binary next to the test bundle (SwiftPM builds it because the test target
    /// depends on it), or the one named by ARENA_BINARY.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["ARENA_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("arena"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("arena"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Runs `arena` with `arguments` in `directory` and waits for it.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let directory { process.currentDirectoryURL = directory }
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("arena-out-\(UUID().uuidString)")
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("arena-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        // Files rather than pipes, so that large outputs cannot fill a pipe and block.
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
    }

    /// A new empty temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("arena-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts `arena arguments` and kills it with SIGKILL as soon as the fold state in
    /// `stateFile` (state.json) has reached a step in `steps`; waits for it to end. Returns that
    /// state (nil when the run ended or 300 s passed first) and whether a signal ended the run.
    static func killAtSavedState(_ arguments: [String], stateFile: String, steps: Range<Int>) throws -> (state: [String: Any]?, killed: Bool) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var saved: [String: Any]?
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning, Date() < deadline {
            if let contents = FileManager.default.contents(atPath: stateFile),
               let state = try? JSONSerialization.jsonObject(with: contents) as? [String: Any],
               let step = state["step"] as? Int, steps.contains(step) {
                saved = state
                kill(process.processIdentifier, SIGKILL)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        return (saved, process.terminationReason == .uncaughtSignal)
    }

    /// `arena synth --rows ROWS --seed SEED` written to `folder/name`; its path.
    static func syntheticData(rows: Int, in folder: URL, seed: Int, name: String = "train.csv") throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = folder.appendingPathComponent(name).path
        let result = try run(["synth", "--rows", String(rows), "--seed", String(seed), "--out", data])
        #expect(result.status == 0, "\(result.standardError)")
        return data
    }

    /// The real 1,000-row sample, when this checkout sits beside ../shared.
    static var sampleTrainCSV: URL? {
        var directory = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { directory.deleteLastPathComponent() }
        let url = directory.deletingLastPathComponent().appendingPathComponent("shared/data/arena-sample/train.csv")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
