import ArenaData
import Foundation
import Testing

/// `arena train --model linear` and `arena predict` as a user runs them on the real sample.
@Suite(.serialized) struct FeatureModelCLITests {
    @Test func trainPredictAndBadRunFiles() throws {
        let sample = try #require(CLI.sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
        let directory = try CLI.temporaryDirectory()
        let run = directory.appendingPathComponent("linear").path
        let train = try CLI.run(["train", "--data", sample.path, "--model", "linear", "--folds", "3", "--threads", "1", "--out", run])
        #expect(train.status == 0, "\(train.standardError)")
        #expect(train.standardOutput.contains("out-of-fold log loss"))
        #expect(train.standardError.contains("edge case identical_responses"))
        for file in ["config.json", "metrics.json", "oof.csv", "model.json", "importances.csv", "history.csv", "report.html", "fold-0.json", "fold-2.json"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file)")
        }
        // The run's own score beats the class prior (1.0952 on this sample).
        let metrics = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/metrics.json"))) as? [String: Any])
        let loss = try #require(metrics["oof_log_loss"] as? Double)
        #expect(loss < 1.07, "out-of-fold log loss \(loss)")

        // Predict the training file itself without its labels: every id once, in order.
        let submission = directory.appendingPathComponent("submission.csv").path
        let predict = try CLI.run(["predict", "--run", run, "--data", sample.path, "--out", submission])
        #expect(predict.status == 0, "\(predict.standardError)")
        let check = SubmissionFile.read(path: submission)
        #expect(check.violations.isEmpty)
        let (battles, _) = try BattleReader.readAll(path: sample.path, options: .prediction)
        #expect(check.ids == battles.map(\.id))
        let evaluate = try CLI.run(["evaluate", "--predictions", submission, "--labels", sample.path])
        #expect(evaluate.status == 0, "\(evaluate.standardError)")

        // A test file with no rows.
        let empty = directory.appendingPathComponent("empty.csv")
        try "id,prompt,response_a,response_b\n".write(to: empty, atomically: true, encoding: .utf8)
        let noRows = try CLI.run(["predict", "--run", run, "--data", empty.path, "--out", submission])
        #expect(noRows.status != 0 && noRows.standardError.contains("has a header but no data rows"))

        // A corrupt, then a missing fold model.
        try "{\"learner\": ".write(toFile: run + "/fold-1.json", atomically: true, encoding: .utf8)
        let corrupt = try CLI.run(["predict", "--run", run, "--data", sample.path, "--out", submission])
        #expect(corrupt.status != 0 && corrupt.standardError.contains("fold-1.json"), "\(corrupt.standardError)")
        try FileManager.default.removeItem(atPath: run + "/fold-1.json")
        let missing = try CLI.run(["predict", "--run", run, "--data", sample.path, "--out", submission])
        #expect(missing.status != 0 && missing.standardError.contains("fold-1.json"), "\(missing.standardError)")
    }
}
