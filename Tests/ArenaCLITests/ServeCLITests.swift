import Foundation
import Testing

/// `arena serve` as a user starts it: a real process on a port, spoken to with curl.
@Suite struct ServeCLITests {
    static func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "--max-time", "30"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func servesPredictionsOfATrainedRun() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("train.csv").path
        #expect(try CLI.run(["synth", "--rows", "60", "--seed", "2", "--out", data]).status == 0)
        let run = folder.appendingPathComponent("run").path
        let trained = try CLI.run(["train", "--data", data, "--model", "linear", "--folds", "2", "--rounds", "20", "--threads", "1", "--out", run])
        #expect(trained.status == 0, "\(trained.standardError)")

        let (server, port, health) = try Self.startServer(run: run)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        #expect(health.contains("\"status\":\"ok\"") && health.contains("\"model\":\"linear\""), "\(health)")
        try Self.expectServedEqualsPredicted(run: run, port: port, folder: folder)

        let bad = try Self.curl(["-X", "POST", "-d", #"{"battles": [{"prompt": "p"}]}"#, "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/predict"])
        #expect(bad.output.hasSuffix("400") && bad.output.contains("battles[0].response_a is missing"), "\(bad.output)")
    }
}

extension ServeCLITests {
    /// Starts `arena serve --run run` on a random port and waits for /health (up to 30 s): the
    /// process, its port and what /health said.
    static func startServer(run: String) throws -> (server: Process, port: Int, health: String) {
        let port = 20_000 + Int.random(in: 0..<20_000)
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--run", run, "--port", String(port), "--threads", "1"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        var health = ""
        for _ in 0..<300 where health.isEmpty {
            health = (try? curl(["http://127.0.0.1:\(port)/health"]).output) ?? ""
            if health.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        return (server, port, health)
    }

    /// One battle through the server on `port` and through `arena predict --run run`: the same
    /// probabilities (within `tolerance`).
    static func expectServedEqualsPredicted(run: String, port: Int, folder: URL, tolerance: Double = 1e-12) throws {
        let body = #"{"battles": [{"id": "q1", "prompt": "What is 2+2?", "response_a": "4", "response_b": ["It is four, because two plus two is four.", null]}]}"#
        let answer = try curl(["-X", "POST", "-H", "Content-Type: application/json", "-d", body, "http://127.0.0.1:\(port)/predict"])
        let served = try #require(try JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any], "\(answer.output)")
        let row = try #require((served["predictions"] as? [[String: Any]])?.first)
        #expect(row["id"] as? String == "q1")
        let test = folder.appendingPathComponent("serve-test.csv").path
        try "id,prompt,response_a,response_b\nq1,\"[\"\"What is 2+2?\"\"]\",\"[\"\"4\"\"]\",\"[\"\"It is four, because two plus two is four.\"\", null]\"\n"
            .write(toFile: test, atomically: true, encoding: .utf8)
        let submission = folder.appendingPathComponent("serve-submission.csv").path
        let predicted = try CLI.run(["predict", "--run", run, "--data", test, "--out", submission, "--threads", "1"])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let expected = try String(contentsOfFile: submission, encoding: .utf8).split(separator: "\n")[1].split(separator: ",").dropFirst()
            .compactMap { Double($0) }
        #expect(expected.count == 3)
        for (key, value) in zip(["winner_model_a", "winner_model_b", "winner_tie"], expected) {
            #expect(abs((row[key] as? Double ?? -1) - value) < tolerance, "\(key): served \(row[key] ?? "nothing"), predicted \(value)")
        }
    }
}
