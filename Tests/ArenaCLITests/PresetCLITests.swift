import Foundation
import Testing

/// `arena finetune --preset`: a reference notebook's settings in one flag, options given with
/// it overriding its values, the run recording both (with the real all-MiniLM-L6-v2; a few
/// steps on synthetic rows, so this checks the settings, not the quality).
@Suite(.serialized) struct PresetCLITests {
    func data(rows: Int, in folder: URL) throws -> String {
        try CLI.syntheticData(rows: rows, in: folder, seed: 5)
    }

    func finetuneSettings(_ run: String) throws -> [String: Any] {
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any]
        return try #require(config?["finetune"] as? [String: Any])
    }

    func learningRates(_ run: String) throws -> [Double] {
        try String(contentsOfFile: run + "/training.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { line in try #require(Double(line.split(separator: ",", omittingEmptySubsequences: false)[2])) }
    }

    /// S1's preset with the length, batch and steps made small: the run is the shared-weight
    /// pair on the notebook's ramp (epoch 0 at 1e-6), and config.json names the preset beside
    /// every resolved value, the overridden ones included.
    @Test func sharedEncoderPresetWithOverrides() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try data(rows: 40, in: folder)
        let run = folder.appendingPathComponent("s1").path
        let result = try CLI.run([
            "finetune", "--preset", "shared-encoder", "--data", train, "--model", model, "--out", run, "--max-length", "32",
            "--batch-size", "4", "--max-steps", "2", "--threads", "1",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("preset shared-encoder (S1"), "\(result.standardError)")
        let settings = try finetuneSettings(run)
        #expect(settings["preset"] as? String == "shared-encoder")
        #expect(settings["architecture"] as? String == "pair" && settings["schedule"] as? String == "ramp-cosine")
        #expect(settings["max_length"] as? Int == 32 && settings["batch_size"] as? Int == 4 && settings["max_steps"] as? Int == 2)
        #expect(settings["learning_rate"] as? Double == 0.6e-6 * 16 && settings["label_smoothing"] as? Double == 0.02)
        #expect(settings["precision"] as? String == "bfloat16" && settings["swap_averaging"] as? Bool == false)
        let ramp = try #require(settings["epoch_ramp"] as? [String: Any])
        #expect(ramp["start"] as? Double == 1e-6 && ramp["epochs"] as? Int == 2 && ramp["horizon"] as? Int == 10)
        #expect(try learningRates(run) == [1e-6, 1e-6])
    }

    /// S3's preset: the turn-length branch, and the fixed temperature 0.85 kept by the run in
    /// place of a fitted one; --learning-rate overrides its constant 1e-6.
    @Test func featuresPresetKeepsItsFixedTemperature() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try data(rows: 40, in: folder)
        let run = folder.appendingPathComponent("s3").path
        let result = try CLI.run([
            "finetune", "--preset", "shared-encoder-features", "--data", train, "--model", model, "--out", run, "--max-length", "32",
            "--batch-size", "4", "--max-steps", "2", "--learning-rate", "3e-5", "--threads", "1",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let settings = try finetuneSettings(run)
        #expect(settings["fixed_temperature"] as? Double == 0.85 && settings["calibrate"] as? Bool == false)
        #expect(settings["drop_duplicates"] as? Bool == true && settings["numeric_features"] != nil)
        #expect(try learningRates(run) == [3e-5, 3e-5])
        let artifact = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/model.json"))) as? [String: Any]
        #expect((artifact?["temperature"] as? [String: Any])?["temperature"] as? Double == 0.85)
    }

    /// Names and values that do not exist are refused before any work, naming the option.
    @Test func badPresetsAndSettings() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run").path
        func finetune(_ extra: [String]) throws -> CLIResult {
            try CLI.run(["finetune", "--data", "missing.csv", "--model", "missing", "--out", out] + extra)
        }
        var result = try finetune(["--preset", "deberta-large"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("'deberta-large' is invalid for '--preset"), "\(result.standardError)")
        for name in ["shared-encoder", "shared-encoder-sep", "shared-encoder-features", "cross-encoder"] {
            #expect(result.standardError.contains("'\(name)'"), "\(result.standardError)")
        }
        result = try finetune(["--preset", "shared-encoder-features", "--temperature", "0.85", "--calibration"])
        #expect(result.status == 64 && result.standardError.contains("--temperature replaces the fitted temperature"), "\(result.standardError)")
        result = try finetune(["--temperature", "0"])
        #expect(result.status == 64 && result.standardError.contains("--temperature must be positive"), "\(result.standardError)")
        result = try finetune(["--head-learning-rate=-1"])
        #expect(result.status == 64 && result.standardError.contains("--head-learning-rate must be positive"), "\(result.standardError)")
        result = try finetune(["--schedule", "ramp-cosine", "--ramp-decay", "1.5"])
        #expect(result.status == 64 && result.standardError.contains("--ramp-decay must be in (0, 1]"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))

        // --help lists every preset with its notebook and the values it sets.
        let help = try CLI.run(["finetune", "--help"]).standardOutput
        #expect(help.contains("shared-encoder: S1") && help.contains("cross-encoder: S4"), "\(help)")
        #expect(help.contains("--ramp-horizon 10") && help.contains("--plateau-patience 1"), "\(help)")
        // Every settings field is written as its option: one the option table does not know
        // would show as "field=value".
        #expect(help.range(of: #"[A-Za-z]=[^ ]"#, options: .regularExpression) == nil, "\(help)")
    }
}
