import ArenaData
import Foundation
import Testing

/// `arena train --stack RUN` and `arena predict` on the stacking run, as a user runs them, on a
/// small synthetic file; and the refusals of runs trained on other rows or folds.
@Suite(.serialized) struct StackingCLITests {
    @Test func stackPredictAndRefusals() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        #expect(try CLI.run(["synth", "--rows", "120", "--seed", "4", "--out", path("train.csv"), "--quiet"]).status == 0)
        #expect(try CLI.run(["synth", "--rows", "80", "--seed", "6", "--out", path("other.csv"), "--quiet"]).status == 0)
        let common = ["--folds", "3", "--rounds", "30", "--threads", "1"]
        for (name, arguments) in [("member", ["--model", "gbdt"]), ("seed1", ["--model", "gbdt", "--seed", "1"]), ("other", ["--model", "gbdt"])] {
            let data = name == "other" ? path("other.csv") : path("train.csv")
            let train = try CLI.run(["train", "--data", data, "--out", path(name)] + arguments + common)
            #expect(train.status == 0, "\(train.standardError)")
        }
        let folds4 = try CLI.run(["train", "--data", path("train.csv"), "--model", "prior", "--folds", "4", "--out", path("folds4")])
        #expect(folds4.status == 0, "\(folds4.standardError)")

        let run = path("stacked")
        let train = try CLI.run(["train", "--data", path("train.csv"), "--model", "linear", "--stack", path("member"), "--out", run] + common)
        #expect(train.status == 0, "\(train.standardError)")
        #expect(train.standardError.contains("stacking"))
        // The member is copied into the run, listed in its config, and predicts with it.
        #expect(FileManager.default.fileExists(atPath: run + "/stack/0-member/model.json"))
        let config = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        // (JSONEncoder writes "/" as "\/".)
        #expect(config.contains("\"folder\" : \"stack\\/0-member\"") && config.contains("stack\\/0-member\\/oof.csv"), "\(config)")
        let importances = try String(contentsOfFile: run + "/importances.csv", encoding: .utf8)
        #expect(importances.contains("stack_0_log_a"))
        try FileManager.default.removeItem(atPath: path("member"))
        let predict = try CLI.run(["predict", "--run", run, "--data", path("other.csv"), "--out", path("sub.csv")])
        #expect(predict.status == 0, "\(predict.standardError)")
        let submission = SubmissionFile.read(path: path("sub.csv"))
        #expect(submission.violations.isEmpty && submission.ids.count == 80)

        // Runs of another fold seed, fold count or data leak held-out labels: refused.
        for (member, message) in [
            ("seed1", "its fold seed is 1, this run's 0"), ("folds4", "it has 4 folds, this run 3"), ("other", "it was trained on other rows"),
        ] {
            let refused = try CLI.run(["train", "--data", path("train.csv"), "--model", "linear", "--stack", path(member), "--out", path("r-" + member)] + common)
            #expect(refused.status != 0 && refused.standardError.contains("cannot stack") && refused.standardError.contains(message), "\(refused.standardError)")
            #expect(!FileManager.default.fileExists(atPath: path("r-" + member)))
        }
        let notARun = try CLI.run(["train", "--data", path("train.csv"), "--model", "linear", "--stack", path("none"), "--out", path("r-none")] + common)
        #expect(notARun.status != 0 && notARun.standardError.contains("none"), "\(notARun.standardError)")
        let prior = try CLI.run(["train", "--data", path("train.csv"), "--model", "prior", "--stack", run, "--out", path("r-prior")])
        #expect(prior.status == 64 && prior.standardError.contains("--stack needs --model linear or gbdt"))
    }

    /// A fine-tuned run (k folds, the same seed) stacked into the feature model: its
    /// out-of-fold predictions are features, and predicting new rows runs the copied member.
    @Test func stackAFineTunedRun() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let train = try CLI.syntheticData(rows: 120, in: folder, seed: 4)
        let other = try CLI.syntheticData(rows: 20, in: folder, seed: 6, name: "other.csv")
        let finetune = try CLI.run([
            "finetune", "--data", train, "--model", model, "--out", path("ft"), "--folds", "3", "--max-steps", "1", "--max-length", "32",
            "--batch-size", "4", "--threads", "1",
        ])
        #expect(finetune.status == 0, "\(finetune.standardError)")
        let stacked = try CLI.run(["train", "--data", train, "--model", "linear", "--stack", path("ft"), "--folds", "3", "--rounds", "30", "--out", path("st")])
        #expect(stacked.status == 0, "\(stacked.standardError)")
        #expect(FileManager.default.fileExists(atPath: path("st") + "/stack/0-ft/fold-2.safetensors"))
        let importances = try String(contentsOfFile: path("st") + "/importances.csv", encoding: .utf8)
        #expect(importances.contains("stack_0_log_tie"), "\(importances)")
        try FileManager.default.removeItem(atPath: path("ft"))
        let predict = try CLI.run(["predict", "--run", path("st"), "--data", other, "--out", path("sub.csv"), "--threads", "1"])
        #expect(predict.status == 0, "\(predict.standardError)")
        let submission = SubmissionFile.read(path: path("sub.csv"))
        #expect(submission.violations.isEmpty && submission.ids.count == 20)
    }
}
