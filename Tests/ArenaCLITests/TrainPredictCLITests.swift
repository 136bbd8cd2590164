import ArenaData
import Evaluation
import Foundation
import Testing

/// The main job as a user runs it: split, train, predict, evaluate.
@Suite struct TrainPredictCLITests {
    @Test func splitTrainPredictEvaluateOnTheSample() throws {
        let sample = try #require(CLI.sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
        let directory = try CLI.temporaryDirectory()
        let split = directory.appendingPathComponent("split").path
        let splitResult = try CLI.run(["split", "--data", sample.path, "--out-dir", split, "--seed", "3"])
        #expect(splitResult.status == 0, "\(splitResult.standardError)")
        let (train, _) = try BattleReader.readAll(path: split + "/train.csv", options: .strictTraining)
        let (test, testReport) = try BattleReader.readAll(path: split + "/test.csv", options: .prediction)
        let (testLabels, _) = try BattleReader.readAll(path: split + "/test_labels.csv", options: .strictTraining)
        #expect(train.count == 800 && test.count == 200)
        #expect(!testReport.hasLabels)
        #expect(Set(train.map(\.id)).isDisjoint(with: test.map(\.id)))
        #expect(test.map(\.id) == testLabels.map(\.id))
        // Null turns survive the byte-for-byte copy.
        let nullTurns: Int = (train + test).reduce(0) { $0 + $1.notes.nullTurns.reduce(0, +) }
        #expect(nullTurns == 5)

        let run = directory.appendingPathComponent("runs/prior").path
        let trainResult = try CLI.run(["train", "--data", split + "/train.csv", "--model", "prior", "--out", run])
        #expect(trainResult.status == 0, "\(trainResult.standardError)")
        for file in ["config.json", "metrics.json", "oof.csv", "model.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: run + ".partial"))

        let submission = directory.appendingPathComponent("submission.csv").path
        let predictResult = try CLI.run(["predict", "--run", run, "--data", split + "/test.csv", "--out", submission])
        #expect(predictResult.status == 0, "\(predictResult.standardError)")
        let check = SubmissionFile.read(path: submission)
        #expect(check.ids == test.map(\.id))

        // The class prior of the training rows, scored by the library, equals what evaluate prints.
        let prior = try Metrics.classPrior(labels: train.map { $0.winner!.rawValue })
        let expected = try Metrics.logLoss(
            probabilities: Array(repeating: prior, count: test.count), labels: testLabels.map { $0.winner!.rawValue })
        let evaluate = try CLI.run(["evaluate", "--predictions", submission, "--labels", split + "/test_labels.csv", "--json"])
        #expect(evaluate.status == 0, "\(evaluate.standardError)")
        let scores = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.standardOutput.utf8)) as? [String: Any])
        let logLoss = try #require(scores["log_loss"] as? Double)
        #expect(abs(logLoss - expected) < 1e-9)
    }

    @Test func badRunFoldersAndDataAreClearErrors() throws {
        let directory = try CLI.temporaryDirectory()
        let test = directory.appendingPathComponent("test.csv")
        try "id,prompt,response_a,response_b\n1,\"[\"\"p\"\"]\",\"[\"\"a\"\"]\",\"[\"\"b\"\"]\"\n".write(
            to: test, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("out.csv").path

        // No labels given to train.
        let noLabels = try CLI.run(["train", "--data", test.path, "--out", directory.appendingPathComponent("r").path])
        #expect(noLabels.status != 0)
        #expect(noLabels.standardError.contains("missing columns winner_model_a, winner_model_b, winner_tie"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("r.partial").path))

        // A folder that is not a run.
        let notRun = try CLI.run(["predict", "--run", directory.path + "/nothing", "--data", test.path, "--out", out])
        #expect(notRun.status != 0 && notRun.standardError.contains("not a finished arena run"))

        // A run with a config from another version, and with a corrupt model file.
        let run = directory.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let config = """
            {"format_version": 99, "arena_version": "9.0", "model": "prior", "data": "x", "rows": 1, "folds": 2, "seed": 0, "created_at": ""}
            """
        try config.write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let future = try CLI.run(["predict", "--run", run.path, "--data", test.path, "--out", out])
        #expect(future.status != 0 && future.standardError.contains("run format 99"))

        try config.replacingOccurrences(of: "99", with: "1").write(
            to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try "{\"folds\": [{\"probabilities\": [0.5,".write(
            to: run.appendingPathComponent("model.json"), atomically: true, encoding: .utf8)
        let corrupt = try CLI.run(["predict", "--run", run.path, "--data", test.path, "--out", out])
        #expect(corrupt.status != 0 && corrupt.standardError.contains("model.json: the run file is damaged"))
        try FileManager.default.removeItem(at: run.appendingPathComponent("model.json"))
        let missing = try CLI.run(["predict", "--run", run.path, "--data", test.path, "--out", out])
        #expect(missing.status != 0 && missing.standardError.contains("model.json: the run file is damaged (the file is missing"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func trainRefusesToOverwriteARun() throws {
        let sample = try #require(CLI.sampleTrainCSV)
        let directory = try CLI.temporaryDirectory()
        let run = directory.appendingPathComponent("run").path
        #expect(try CLI.run(["train", "--data", sample.path, "--out", run]).status == 0)
        let again = try CLI.run(["train", "--data", sample.path, "--out", run])
        #expect(again.status != 0 && again.standardError.contains("a run already exists there"))
        // The library says what is wrong; the command line adds the options that resolve it.
        #expect(again.standardError.contains("choose another --out or pass --overwrite"), "\(again.standardError)")
        #expect(try CLI.run(["train", "--data", sample.path, "--out", run, "--overwrite"]).status == 0)
    }

    /// A run folder named by one character in the working directory (`--out t`): Foundation's
    /// deletingLastPathComponent traps on such a path, so arena must not call it there.
    @Test func oneCharacterRunFolderInTheWorkingDirectory() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 30, in: folder, seed: 2)
        let result = try CLI.run(["train", "--data", data, "--model", "prior", "--folds", "2", "--out", "t"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("t/oof.csv").path))
    }
}
