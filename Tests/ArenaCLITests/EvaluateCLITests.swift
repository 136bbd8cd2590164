import ArenaData
import Evaluation
import Foundation
import Testing

/// `arena evaluate` run as a user runs it, on small files in a temporary folder.
@Suite struct EvaluateCLITests {
    /// Four labelled rows (A, B, tie, A); row 3's prompt cell is not a JSON list of turns, which
    /// must not drop it from the labels.
    static let labelsCSV = """
        id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie
        1,m1,m2,"[""Hi""]","[""Hello""]","[""Hey""]",1,0,0
        2,m1,m3,"[""2+2?""]","[""4""]","[""5""]",0,1,0
        3,m2,m3,not a JSON list,"[""x""]","[""y""]",0,0,1
        4,m3,m1,"[""Bye""]","[""Ciao""]","[""Bye!""]",1,0,0

        """
    static let ids = ["1", "2", "3", "4"]
    static let labels = [0, 1, 2, 0]
    static let goodProbabilities: [WinnerProbabilities] = [[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.25, 0.25, 0.5], [0.2, 0.6, 0.2]]

    /// Writes the labels and a submission of `rows` (one CSV line each, after the header),
    /// runs `arena evaluate` on them and returns the result.
    private func evaluate(submissionRows rows: [String], extraArguments: [String] = []) throws -> CLIResult {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labelsURL = folder.appendingPathComponent("labels.csv")
        let submissionURL = folder.appendingPathComponent("submission.csv")
        try Self.labelsCSV.write(to: labelsURL, atomically: true, encoding: .utf8)
        let text = (["id,winner_model_a,winner_model_b,winner_tie"] + rows).joined(separator: "\n") + "\n"
        try text.write(to: submissionURL, atomically: true, encoding: .utf8)
        return try CLI.run(
            ["evaluate", "--predictions", submissionURL.path, "--labels", labelsURL.path] + extraArguments)
    }

    private var goodRows: [String] {
        zip(Self.ids, Self.goodProbabilities).map { id, row in ([id] + row.map { "\($0)" }).joined(separator: ",") }
    }

    /// Asserts a rejected submission: non-zero exit, `fragments` on stderr, no score on stdout.
    private func expectRejected(_ result: CLIResult, mentioning fragments: [String]) {
        #expect(result.status != 0)
        for fragment in fragments {
            #expect(result.standardError.contains(fragment), "stderr lacks '\(fragment)': \(result.standardError)")
        }
        #expect(!result.standardOutput.contains("log loss"))
        #expect(!result.standardOutput.contains("log_loss"))
        #expect(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test func goodSubmissionPrintsTheLibraryScores() throws {
        let result = try evaluate(submissionRows: goodRows)
        #expect(result.status == 0, "stderr: \(result.standardError)")
        let expected = try Metrics.logLoss(probabilities: Self.goodProbabilities, labels: Self.labels)
        let line = try #require(result.standardOutput.split(separator: "\n").first { $0.contains("log loss") })
        let printed = try #require(line.split(separator: " ").last.flatMap { Double($0) })
        #expect(abs(printed - expected) < 5e-7, "printed \(printed), library \(expected)")
        #expect(result.standardOutput.contains("rows        4"))
        #expect(result.standardOutput.contains("accuracy    0.7500"))  // rows 1-3 right, row 4 wrong
        #expect(result.standardOutput.contains("model_a"))
    }

    @Test func jsonOutputParsesAndHoldsFullPrecision() throws {
        let result = try evaluate(submissionRows: goodRows.reversed(), extraArguments: ["--json"])
        #expect(result.status == 0, "stderr: \(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
        let json = try #require(object as? [String: Any])
        #expect(Set(json.keys) == ["rows", "log_loss", "accuracy", "ece", "confusion_matrix", "labels"])
        // Foundation on Linux reads JSON numbers as NSDecimalNumber, which can be off in the last
        // bit as a Double: compare exact values through JSONDecoder.
        struct Scores: Decodable {
            var rows: Int
            var logLoss: Double
            var accuracy: Double
            var ece: Double
            var confusionMatrix: [[Int]]
            var labels: [String]
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let scores = try decoder.decode(Scores.self, from: Data(result.standardOutput.utf8))
        let p = Self.goodProbabilities
        let y = Self.labels
        #expect(scores.rows == 4)
        #expect(scores.logLoss == (try Metrics.logLoss(probabilities: p, labels: y)))
        #expect(scores.accuracy == (try Metrics.accuracy(probabilities: p, labels: y)))
        #expect(scores.ece == (try Metrics.expectedCalibrationError(probabilities: p, labels: y)))
        #expect(scores.confusionMatrix == (try Metrics.confusionMatrix(probabilities: p, labels: y)))
        #expect(scores.labels == ["model_a", "model_b", "tie"])
    }

    @Test func missingIDIsRejected() throws {
        let result = try evaluate(submissionRows: Array(goodRows.dropLast()))
        expectRejected(result, mentioning: ["no row for id 4", "labels.csv"])
    }

    @Test func extraIDIsRejected() throws {
        let result = try evaluate(submissionRows: goodRows + ["99,0.2,0.3,0.5"])
        expectRejected(result, mentioning: ["line 6: id 99 is not in"])
    }

    @Test func negativeProbabilityIsRejected() throws {
        var rows = goodRows
        rows[1] = "2,-0.1,0.6,0.5"
        let result = try evaluate(submissionRows: rows)
        expectRejected(result, mentioning: ["line 3, id 2, column winner_model_a: -0.1 is negative"])
    }

    @Test func rowSummingToPointNineIsRejected() throws {
        var rows = goodRows
        rows[2] = "3,0.2,0.3,0.4"
        let result = try evaluate(submissionRows: rows)
        expectRejected(result, mentioning: ["line 4, id 3: the probabilities sum to 0.9"])
    }

    @Test func everyProblemIsListed() throws {
        let rows = ["1,0.7,0.2,0.1", "2,abc,0.5,0.2", "2,0.3,0.5,0.2", "3,0.2,0.3,0.4"]
        let result = try evaluate(submissionRows: rows)
        expectRejected(result, mentioning: [
            "line 3, id 2, column winner_model_a: 'abc' is not a number",
            "line 4: id 2 already appears on line 3",
            "line 5, id 3: the probabilities sum to 0.9",
            "no row for id 4",
            "4 problems",
        ])
    }

    @Test func jsonLinesLabelsAreRead() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labelsURL = folder.appendingPathComponent("labels.jsonl")
        let submissionURL = folder.appendingPathComponent("submission.csv")
        let labels = """
            {"id": "a1", "prompt": ["Hi"], "response_a": ["Hello"], "response_b": ["Hey"], "winner": "model_b"}
            {"id": "a2", "prompt": "Why?", "response_a": "Because", "response_b": "No", "winner": "tie"}

            """
        try labels.write(to: labelsURL, atomically: true, encoding: .utf8)
        try SubmissionFile.write(ids: ["a2", "a1"], probabilities: [[0.2, 0.2, 0.6], [0.1, 0.8, 0.1]], to: submissionURL.path)
        let result = try CLI.run(["evaluate", "--predictions", submissionURL.path, "--labels", labelsURL.path, "--json"])
        #expect(result.status == 0, "stderr: \(result.standardError)")
        // -(ln 0.8 + ln 0.6) / 2
        #expect(result.standardOutput.contains("\"log_loss\":\((-(log(0.8) + log(0.6)) / 2))"))
    }

    @Test func invalidOptionsAreRejected() throws {
        let result = try CLI.run(["evaluate", "--predictions", "a.csv", "--labels", "b.csv", "--bins", "0"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--bins must be at least 1"))
    }
}
