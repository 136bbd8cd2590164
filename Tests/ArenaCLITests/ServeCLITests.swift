import Foundation
import Testing

/// `arena serve` as a user starts it: a real process on a port, spoken to with curl.
@Suite struct ServeCLITests {
    func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
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

        let port = 20_000 + Int.random(in: 0..<20_000)
        let server = Process()
        server.executableURL = CLI.binary
        server.arguments = ["serve", "--run", run, "--port", String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        var health = ""
        for _ in 0..<300 where health.isEmpty {
            health = (try? curl(["http://127.0.0.1:\(port)/health"]).output) ?? ""
            if health.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(health.contains("\"status\":\"ok\"") && health.contains("\"model\":\"linear\""), "\(health)")

        // The same battle through the server and through `arena predict`.
        let body = #"{"battles": [{"id": "q1", "prompt": "What is 2+2?", "response_a": "4", "response_b": ["It is four, because two plus two is four.", null]}]}"#
        let answer = try curl(["-X", "POST", "-H", "Content-Type: application/json", "-d", body, "http://127.0.0.1:\(port)/predict"])
        let served = try #require(try JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any], "\(answer.output)")
        let row = try #require((served["predictions"] as? [[String: Any]])?.first)
        #expect(row["id"] as? String == "q1")
        let test = folder.appendingPathComponent("test.csv").path
        try "id,prompt,response_a,response_b\nq1,\"[\"\"What is 2+2?\"\"]\",\"[\"\"4\"\"]\",\"[\"\"It is four, because two plus two is four.\"\", null]\"\n"
            .write(toFile: test, atomically: true, encoding: .utf8)
        let submission = folder.appendingPathComponent("submission.csv").path
        #expect(try CLI.run(["predict", "--run", run, "--data", test, "--out", submission]).status == 0)
        let expected = try String(contentsOfFile: submission, encoding: .utf8).split(separator: "\n")[1].split(separator: ",").dropFirst()
            .compactMap { Double($0) }
        for (key, value) in zip(["winner_model_a", "winner_model_b", "winner_tie"], expected) {
            #expect(abs((row[key] as? Double ?? -1) - value) < 1e-12, "\(key)")
        }

        let bad = try curl(["-X", "POST", "-d", #"{"battles": [{"prompt": "p"}]}"#, "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/predict"])
        #expect(bad.output.hasSuffix("400") && bad.output.contains("battles[0].response_a is missing"), "\(bad.output)")
    }
}
