import Foundation
import Testing
import Torch

/// `arena finetune` and `arena predict` on a fine-tuned run, with the real all-MiniLM-L6-v2
/// (a few steps on synthetic rows: this checks the command end to end, not the quality).
@Suite(.serialized) struct FinetuneCLITests {
    func syntheticData(rows: Int, in folder: URL, seed: Int = 3) throws -> String {
        try CLI.syntheticData(rows: rows, in: folder, seed: seed)
    }

    @Test func finetunesPredictsAndReports() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 40, in: folder)
        let run = folder.appendingPathComponent("runs/minilm").path
        let arguments = [
            "finetune", "--data", data, "--model", model, "--out", run, "--max-length", "32", "--batch-size", "4", "--max-steps", "3",
            "--threads", "1", "--learning-rate", "1e-4",
        ]
        let result = try CLI.run(arguments)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("fold 1/1 step 3/3"), "\(result.standardError)")
        #expect(result.standardOutput.contains("validation log loss"))
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: run))
        #expect(files == ["config.json", "model.json", "model", "fold-0.safetensors", "metrics.json", "oof.csv", "training.csv", "report.html"])
        #expect(!FileManager.default.fileExists(atPath: run + ".partial"))

        // The run's model folder: the tokenizer files and config.json with the four markers added.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/model/config.json"))) as? [String: Any]
        #expect(config?["vocab_size"] as? Int == 30522 + 4)
        #expect(FileManager.default.fileExists(atPath: run + "/model/vocab.txt"))
        let weights = try SafetensorsFile(path: run + "/fold-0.safetensors")
        #expect(weights.info("bert.embeddings.word_embeddings.weight")?.shape == [30526, 384])
        #expect(weights.info("classifier.weight")?.shape == [3, 384])
        #expect(weights.metadata["format"] == "pt")

        let training = try String(contentsOfFile: run + "/training.csv", encoding: .utf8).split(separator: "\n")
        #expect(training.first == "fold,step,learning_rate,training_loss,validation_loss,seconds")
        #expect(training.count == 4)
        let last = training.last?.split(separator: ",", omittingEmptySubsequences: false) ?? []
        #expect(last.count == 6 && last[1] == "3" && Double(last[4]) != nil && (Double(last[5]) ?? 0) > 0, "\(last)")
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(report.contains("Training and validation loss"))
        #expect(report.contains("Learning-rate schedule"))

        let submission = folder.appendingPathComponent("submission.csv").path
        let predicted = try CLI.run(["predict", "--run", run, "--data", data, "--out", submission, "--threads", "1"])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let lines = try String(contentsOfFile: submission, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 41)
        for line in lines.dropFirst() {
            let values = line.split(separator: ",").dropFirst().compactMap { Double($0) }
            #expect(values.count == 3 && abs(values.reduce(0, +) - 1) < 1e-9)
        }

        // The same folder again: refused without --overwrite; --resume with other settings refused.
        let again = try CLI.run(arguments)
        #expect(again.status == 1)
        #expect(again.standardError.contains("a run already exists there"), "\(again.standardError)")
    }

    /// kill -9 in the middle of a fold, then --resume: the run continues from the saved state
    /// (the steps done before the kill are kept, not trained again) and finishes whole.
    @Test func killedRunResumes() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 60, in: folder)
        let run = folder.appendingPathComponent("run").path
        let arguments = [
            "finetune", "--data", data, "--model", model, "--out", run, "--max-length", "32", "--batch-size", "4", "--epochs", "3",
            "--max-steps", "30", "--threads", "1", "--checkpoint-seconds", "1",
        ]
        let stateFile = run + ".partial/fold-0.state/state.json"
        let stopped = try CLI.killAtSavedState(arguments, stateFile: stateFile, steps: 3..<20)
        let savedStep = stopped.state?["step"] as? Int ?? 0
        let savedLosses = (stopped.state?["records"] as? [[String: Any]] ?? []).compactMap { $0["training_loss"] as? Double }
        try #require(savedStep >= 3, "the run ended before a state with 3 to 19 steps was seen")
        #expect(stopped.killed)
        #expect(!FileManager.default.fileExists(atPath: run))

        let resumed = try CLI.run(arguments + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("resuming from \(run).partial"), "\(resumed.standardError)")
        // Training went on from the saved state; it did not start again.
        let resumedAt = resumed.standardError.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "fold 1/1: resuming from step ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }.first
        #expect((resumedAt ?? 0) >= savedStep, "\(resumed.standardError)")
        let lines = try String(contentsOfFile: run + "/training.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(lines.count == 30)
        #expect(lines.map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] } == (1...30).map { Substring(String($0)) })
        // The steps saved before the kill are in the final history.
        let losses = lines.prefix(savedLosses.count).map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[3]) ?? .nan }
        #expect(losses.count == savedLosses.count && zip(losses, savedLosses).allSatisfy { abs($0 - $1) < 1e-9 }, "\(losses) vs \(savedLosses)")
        #expect(!FileManager.default.fileExists(atPath: run + "/fold-0.state"))
    }

    @Test func badSettingsAndInputsGiveClearErrors() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 12, in: folder)
        let out = folder.appendingPathComponent("run").path
        func finetune(_ extra: [String]) throws -> CLIResult {
            try CLI.run(["finetune", "--data", data, "--out", out, "--threads", "1"] + extra)
        }
        var result = try finetune(["--model", model, "--architecture", "siamese"])
        #expect(result.status == 64)
        // The parser refuses the value, naming the option and the values it takes.
        #expect(result.standardError.contains("'siamese' is invalid for '--architecture"), "\(result.standardError)")
        #expect(result.standardError.contains("'cross'") && result.standardError.contains("'pair'"), "\(result.standardError)")
        result = try finetune(["--model", model, "--learning-rate=-1"])
        #expect(result.standardError.contains("--learning-rate must be positive"), "\(result.standardError)")
        result = try finetune(["--model", model, "--numeric-features"])
        #expect(result.standardError.contains("--numeric-features needs the pair architecture"), "\(result.standardError)")
        result = try finetune(["--model", model, "--architecture", "pair", "--pair-format", "colon"])
        #expect(result.standardError.contains("'colon' is invalid for '--pair-format"), "\(result.standardError)")
        #expect(result.standardError.contains("'template'") && result.standardError.contains("'sep'"), "\(result.standardError)")
        result = try finetune(["--model", model, "--feature-widths", "512"])
        #expect(result.standardError.contains("--feature-widths must be two integers"), "\(result.standardError)")
        result = try finetune(["--model", model, "--plateau-factor", "2"])
        #expect(result.standardError.contains("--plateau-factor must be in (0, 1)"), "\(result.standardError)")
        result = try finetune(["--model", model, "--max-length", "1024"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("--max-length 1024 is longer than the 512 positions this model has"), "\(result.standardError)")
        result = try finetune(["--model", model, "--max-length", "6"])
        #expect(result.standardError.contains("--max-length must be at least 8"), "\(result.standardError)")
        result = try finetune(["--model", model, "--device", "cuda"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("libtorch sees 0 CUDA device(s)"), "\(result.standardError)")
        result = try finetune(["--model", model, "--device", "tpu"])
        #expect(result.standardError.contains("unknown device \"tpu\""), "\(result.standardError)")
        result = try finetune(["--model", folder.path])
        #expect(result.status == 1)
        #expect(result.standardError.contains("no config.json"), "\(result.standardError)")

        // A test file (no labels) cannot be trained on.
        let unlabelled = folder.appendingPathComponent("test.csv").path
        try "id,prompt,response_a,response_b\n1,\"[\"\"a\"\"]\",\"[\"\"b\"\"]\",\"[\"\"c\"\"]\"\n".write(toFile: unlabelled, atomically: true, encoding: .utf8)
        result = try CLI.run(["finetune", "--data", unlabelled, "--model", model, "--out", out])
        #expect(result.status == 1)
        #expect(result.standardError.contains("winner_model_a"), "\(result.standardError)")

        // --resume onto a staged run of other settings that holds finished work.
        try FileManager.default.createDirectory(atPath: out + ".partial", withIntermediateDirectories: true)
        try #"{"format_version": 1, "arena_version": "0.1.0", "model": "cross", "data": "x", "rows": 1, "folds": 1, "seed": 0, "created_at": "now"}"#
            .write(toFile: out + ".partial/config.json", atomically: true, encoding: .utf8)
        try "{}".write(toFile: out + ".partial/fold-0.outcome.json", atomically: true, encoding: .utf8)
        result = try finetune(["--model", model, "--resume"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("holds a run with other data or settings"), "\(result.standardError)")
    }

    /// `arena ensemble` of a prior and a linear run: weights on the simplex, the blend no worse
    /// than the better member on the shared rows, and `arena predict` blending the members'
    /// own predictions with those weights and the temperature.
    @Test func ensembleOfTwoRuns() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 150, in: folder)
        let runs = folder.appendingPathComponent("runs").path
        for model in ["prior", "linear"] {
            let trained = try CLI.run(["train", "--data", data, "--model", model, "--folds", "3", "--rounds", "30", "--threads", "1", "--out", runs + "/" + model])
            #expect(trained.status == 0, "\(trained.standardError)")
        }
        let blend = runs + "/blend"
        let result = try CLI.run(["ensemble", "--run", runs + "/prior", "--run", runs + "/linear", "--out", blend])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("over 150 shared rows"), "\(result.standardOutput)")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blend + "/model.json"))) as? [String: Any]
        let weights = try #require(model?["weights"] as? [Double])
        let memberLoss = try #require(model?["member_log_loss"] as? [Double])
        #expect(weights.count == 2 && abs(weights.reduce(0, +) - 1) < 1e-9)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blend + "/metrics.json"))) as? [String: Any]
        let blendLoss = try #require(metrics?["oof_log_loss"] as? Double)
        #expect(blendLoss <= (memberLoss.min() ?? 0) + 1e-9)
        #expect(FileManager.default.fileExists(atPath: blend + "/report.html"))

        var submissions: [[[Double]]] = []
        for run in [runs + "/prior", runs + "/linear", blend] {
            let out = folder.appendingPathComponent("sub-\(submissions.count).csv").path
            let predicted = try CLI.run(["predict", "--run", run, "--data", data, "--out", out])
            #expect(predicted.status == 0, "\(predicted.standardError)")
            submissions.append(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst().map { line in
                line.split(separator: ",").dropFirst().compactMap { Double($0) }
            })
        }
        let temperature = ((model?["temperature"] as? [String: Any])?["temperature"] as? Double) ?? 1
        for row in submissions[2].indices {
            let mixed = (0..<3).map { weights[0] * submissions[0][row][$0] + weights[1] * submissions[1][row][$0] }
            let logits = mixed.map { log(max($0, 1e-15)) / temperature }
            let top = logits.max() ?? 0
            let exps = logits.map { exp($0 - top) }
            let expected = exps.map { $0 / exps.reduce(0, +) }
            for k in 0..<3 { #expect(abs(submissions[2][row][k] - expected[k]) < 1e-9) }
        }

        var bad = try CLI.run(["ensemble", "--run", runs + "/prior", "--out", runs + "/one"])
        #expect(bad.status == 64)
        #expect(bad.standardError.contains("give at least two --run folders"), "\(bad.standardError)")
        let otherData = try syntheticData(rows: 30, in: folder.appendingPathComponent("other"), seed: 8)
        let other = try CLI.run(["train", "--data", otherData, "--model", "prior", "--folds", "2", "--out", runs + "/other"])
        #expect(other.status == 0, "\(other.standardError)")
        bad = try CLI.run(["ensemble", "--run", runs + "/prior", "--run", runs + "/other", "--out", runs + "/mixed"])
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("blending needs at least 20") || bad.standardError.contains("different labels"), "\(bad.standardError)")
    }
}
