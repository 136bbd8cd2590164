import Foundation
import Testing
import Torch

/// `arena finetune --awp` and `--head-weight-noise` with the real all-MiniLM-L6-v2: refused out
/// of range naming the option; killed and resumed, a run equals one trained without a stop.
@Suite(.serialized) struct WeightPerturbationCLITests {
    func syntheticData(rows: Int, in folder: URL) throws -> String {
        try CLI.syntheticData(rows: rows, in: folder, seed: 3)
    }

    @Test func outOfRangeSettingsNameTheOption() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 12, in: folder)
        let out = folder.appendingPathComponent("run").path
        func finetune(_ extra: [String]) throws -> CLIResult {
            try CLI.run(["finetune", "--data", data, "--model", model, "--out", out, "--threads", "1"] + extra)
        }
        let refused: [([String], String)] = [
            (["--awp", "--awp-lr", "0"], "--awp-lr must be a positive finite number (got 0.0)"),
            (["--awp", "--awp-lr", "inf"], "--awp-lr must be a positive finite number"),
            (["--awp", "--awp-eps=-0.1"], "--awp-eps must be a positive finite number (got -0.1)"),
            (["--awp", "--awp-start-epoch=-1"], "--awp-start-epoch must not be negative (got -1)"),
            (["--awp", "--awp-parameters", ""], "--awp-parameters must not be empty"),
            (["--head-weight-noise=-1"], "--head-weight-noise must be a positive finite number (got -1.0)"),
            (["--awp-lr", "0.5"], "--awp-lr needs --awp"),
            (["--awp-start-epoch", "1"], "--awp-start-epoch needs --awp"),
        ]
        for (extra, message) in refused {
            let result = try finetune(extra)
            #expect(result.status == 64, "\(extra): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(extra): \(result.standardError)")
        }
        var result = try finetune(["--awp", "--awp-gradient", "both"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("'both' is invalid for '--awp-gradient"), "\(result.standardError)")
        // A filter that matches no parameter is found when the model is built, before any training.
        result = try finetune(["--awp", "--awp-parameters", "no-such-parameter", "--max-steps", "1"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--awp-parameters matches no parameter name"), "\(result.standardError)")
    }

    /// kill -9 in the middle of a fold with --awp and --head-weight-noise, then --resume: the
    /// history and the weights equal those of the same run trained without a stop.
    @Test func killedRunWithPerturbationsResumesToTheSameRun() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 60, in: folder)
        func arguments(_ run: String) -> [String] {
            [
                "finetune", "--data", data, "--model", model, "--out", run, "--max-length", "32", "--batch-size", "4", "--epochs", "3",
                "--max-steps", "16", "--threads", "1", "--checkpoint-seconds", "1", "--learning-rate", "1e-4", "--awp", "--awp-lr", "0.5",
                "--awp-start-epoch", "0", "--head-weight-noise", "1e-3",
            ]
        }
        let straight = folder.appendingPathComponent("straight").path
        let whole = try CLI.run(arguments(straight))
        #expect(whole.status == 0, "\(whole.standardError)")
        let config = try String(contentsOfFile: straight + "/config.json", encoding: .utf8)
        #expect(config.contains("adversarial_weight_perturbation") && config.contains("head_weight_noise"), "\(config)")

        let run = folder.appendingPathComponent("run").path
        let stateFile = run + ".partial/fold-0.state/state.json"
        let stopped = try CLI.killAtSavedState(arguments(run), stateFile: stateFile, steps: 2..<12)
        try #require(stopped.state != nil, "the run ended before a state with 2 to 11 steps was seen")
        #expect(stopped.killed)
        let resumed = try CLI.run(arguments(run) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("fold 1/1: resuming from step "), "\(resumed.standardError)")

        func history(_ path: String) throws -> [[Substring]] {
            // fold, step, learning rate, training loss, validation loss (not the seconds).
            try String(contentsOfFile: path + "/training.csv", encoding: .utf8).split(separator: "\n")
                .map { Array($0.split(separator: ",", omittingEmptySubsequences: false).prefix(5)) }
        }
        let expected = try history(straight)
        #expect(expected.count == 17)
        #expect(try history(run) == expected)
        let a = try SafetensorsFile(path: straight + "/fold-0.safetensors")
        let b = try SafetensorsFile(path: run + "/fold-0.safetensors")
        #expect(a.names == b.names)
        for name in a.names { #expect(try a.tensor(name).floats() == b.tensor(name).floats(), "\(name)") }
    }
}
