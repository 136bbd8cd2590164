import Foundation
import Testing
import Torch

/// `arena finetune` on a decoder LLM (issue 15) end to end, on the tiny random Llama of
/// Fixtures/llama-tiny-chat (tools/make_decoder_cli_fixtures.py: a Llama-3-shaped causal LM with
/// a byte-level BPE tokenizer, as a user downloads one): LoRA and full fine-tuning, the training
/// loss falling on the real sample, kill + resume equal to an uninterrupted run, predict, serve,
/// gradient checkpointing, and the bad settings named.
@Suite(.serialized) struct DecoderCLITests {
    static var model: String {
        var directory = URL(fileURLWithPath: #filePath)
        directory.deleteLastPathComponent()
        return directory.appendingPathComponent("Fixtures/llama-tiny-chat").path
    }

    func history(_ run: String) throws -> [[Substring]] {
        // fold, step, learning rate, training loss, validation loss (not the seconds).
        try String(contentsOfFile: run + "/training.csv", encoding: .utf8).split(separator: "\n")
            .map { Array($0.split(separator: ",", omittingEmptySubsequences: false).prefix(5)) }
    }

    func expectSameWeights(_ a: String, _ b: String, tolerance: Float = 0) throws {
        let first = try SafetensorsFile(path: a), second = try SafetensorsFile(path: b)
        #expect(first.names == second.names)
        for name in first.names {
            let x = try first.tensor(name).floats(), y = try second.tensor(name).floats()
            let difference = zip(x, y).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= tolerance, "\(name) differs by \(difference)")
        }
    }

    /// LoRA on the real sample (or a synthetic set without it): the training loss falls from the
    /// first epoch to the last; the run holds the adapters as peft folders, the padding id in its
    /// model config, and predicts.
    @Test func loraFineTuneLearnsAndPredicts() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.sampleTrainCSV?.path ?? CLI.syntheticData(rows: 400, in: folder, seed: 5)
        if CLI.sampleTrainCSV == nil { print("DecoderCLITests: ../shared/data/arena-sample/train.csv is absent; a synthetic set stands in") }
        let run = folder.appendingPathComponent("lora").path
        let result = try CLI.run([
            "finetune", "--data", data, "--model", Self.model, "--out", run, "--lora", "--max-length", "128", "--batch-size", "8",
            "--epochs", "3", "--learning-rate", "5e-3", "--folds", "1", "--threads", "2",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("llama, 60672 parameters, 20 tensors loaded; new: score.weight; LoRA: 28 adapter tensors"),
                "\(result.standardError)")
        let rows = try history(run).dropFirst()
        let steps = rows.count
        #expect(steps >= 30 && steps % 3 == 0)
        let losses = rows.map { Double($0[3]) ?? .nan }
        let epoch = steps / 3
        let first = losses.prefix(epoch).reduce(0, +) / Double(epoch), last = losses.suffix(epoch).reduce(0, +) / Double(epoch)
        #expect(last < first - 0.03, "mean training loss of the first epoch \(first), of the last \(last)")

        // The fold file holds the adapters and the head only; the peft folder names the base.
        let weights = try SafetensorsFile(path: run + "/fold-0.safetensors")
        #expect(weights.names.count == 29 && weights.names.contains("score.weight"))
        #expect(weights.names.allSatisfy { $0 == "score.weight" || $0.contains(".lora_A.") || $0.contains(".lora_B.") })
        let adapterConfig = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/fold-0.adapter/adapter_config.json"))) as? [String: Any]
        #expect(adapterConfig?["r"] as? Int == 16 && adapterConfig?["task_type"] as? String == "SEQ_CLS")
        #expect((adapterConfig?["base_model_name_or_path"] as? String)?.hasSuffix("Fixtures/llama-tiny-chat") == true)
        let adapter = try SafetensorsFile(path: run + "/fold-0.adapter/adapter_model.safetensors")
        #expect(adapter.names.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"))
        #expect(adapter.names.contains("base_model.model.score.weight"))
        let modelConfig = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/model/config.json"))) as? [String: Any]
        #expect(modelConfig?["pad_token_id"] as? Int == 4, "the tokenizer's padding (its eos, <|eot_id|>)")
        let runConfig = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        #expect(runConfig.contains("\"lora\"") && runConfig.contains("\"rank\" : 16"), "\(runConfig)")

        let submission = folder.appendingPathComponent("submission.csv").path
        let predicted = try CLI.run(["predict", "--run", run, "--data", data, "--out", submission, "--threads", "2"])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let lines = try String(contentsOfFile: submission, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == (CLI.sampleTrainCSV != nil ? 1000 : 400) + 1)
        for line in lines.dropFirst() {
            let values = line.split(separator: ",").dropFirst().compactMap { Double($0) }
            #expect(values.count == 3 && abs(values.reduce(0, +) - 1) < 1e-9)
        }
    }

    /// kill -9 in the middle of a LoRA fold (with --teacher and 2 folds), then --resume: the
    /// history and the adapters equal those of the same run trained without a stop; the run is
    /// served with the probabilities `arena predict` gives.
    @Test func killedLoraRunResumesToTheSameRunAndServes() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 120, in: folder, seed: 7)
        // A teacher: the out-of-fold predictions of a feature model.
        let teacherRun = folder.appendingPathComponent("teacher").path
        let teacher = try CLI.run(["train", "--data", data, "--model", "linear", "--folds", "2", "--rounds", "20", "--threads", "1", "--out", teacherRun])
        #expect(teacher.status == 0, "\(teacher.standardError)")
        func arguments(_ run: String) -> [String] {
            [
                "finetune", "--data", data, "--model", Self.model, "--out", run, "--lora", "--lora-rank", "4", "--max-length", "96",
                "--batch-size", "4", "--epochs", "2", "--learning-rate", "5e-3", "--folds", "2", "--threads", "1", "--evaluations-per-epoch", "8",
                "--teacher", teacherRun + "/oof.csv", "--teacher-weight", "0.3",
            ]
        }
        let straight = folder.appendingPathComponent("straight").path
        let whole = try CLI.run(arguments(straight))
        #expect(whole.status == 0, "\(whole.standardError)")

        let run = folder.appendingPathComponent("run").path
        let stopped = try CLI.killAtSavedState(arguments(run), stateFile: run + ".partial/fold-0.state/state.json", steps: 3..<25)
        try #require(stopped.state != nil, "the run ended before a state with 3 to 24 steps was seen")
        #expect(stopped.killed)
        let resumed = try CLI.run(arguments(run) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("fold 1/2: resuming from step "), "\(resumed.standardError)")
        #expect(try history(run) == history(straight))
        for fold in 0..<2 {
            try expectSameWeights(straight + "/fold-\(fold).safetensors", run + "/fold-\(fold).safetensors")
            try expectSameWeights(straight + "/fold-\(fold).adapter/adapter_model.safetensors", run + "/fold-\(fold).adapter/adapter_model.safetensors")
        }

        // An ensemble of the LoRA run and the feature model, and a report of the LoRA run.
        let blend = folder.appendingPathComponent("blend").path
        let ensembled = try CLI.run(["ensemble", "--run", run, "--run", teacherRun, "--out", blend])
        #expect(ensembled.status == 0, "\(ensembled.standardError)")
        #expect(FileManager.default.fileExists(atPath: blend + "/oof.csv"))
        let report = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(report.contains("Training and validation loss"))

        let (server, port, health) = try ServeCLITests.startServer(run: run)
        defer { server.terminate(); server.waitUntilExit() }
        #expect(health.contains("\"status\""), "\(health)")
        try ServeCLITests.expectServedEqualsPredicted(run: run, port: port, folder: folder)
    }

    /// A killed run whose teacher file changed before --resume is refused, naming the teacher's
    /// digest: the resumed folds would learn from another teacher than the finished ones.
    @Test func resumeRefusesAChangedTeacher() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 120, in: folder, seed: 8)
        let teacherRun = folder.appendingPathComponent("teacher").path
        let teacher = try CLI.run(["train", "--data", data, "--model", "prior", "--folds", "2", "--out", teacherRun])
        #expect(teacher.status == 0, "\(teacher.standardError)")
        let teacherFile = folder.appendingPathComponent("teacher.csv").path
        try FileManager.default.copyItem(atPath: teacherRun + "/oof.csv", toPath: teacherFile)
        let run = folder.appendingPathComponent("run").path
        let arguments = [
            "finetune", "--data", data, "--model", Self.model, "--out", run, "--lora", "--lora-rank", "4", "--max-length", "96",
            "--batch-size", "4", "--epochs", "2", "--folds", "2", "--threads", "1", "--evaluations-per-epoch", "8", "--teacher", teacherFile,
        ]
        let stopped = try CLI.killAtSavedState(arguments, stateFile: run + ".partial/fold-0.state/state.json", steps: 3..<25)
        try #require(stopped.state != nil, "the run ended before a state with 3 to 24 steps was seen")
        // Another teacher: the same file with the last row's probabilities replaced (still valid).
        var lines = try String(contentsOfFile: teacherFile, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        var fields = lines[lines.count - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for (column, value) in zip(["winner_model_a", "winner_model_b", "winner_tie"], ["0.25", "0.35", "0.4"]) {
            fields[try #require(header.firstIndex(of: column))] = value
        }
        lines[lines.count - 1] = fields.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(toFile: teacherFile, atomically: true, encoding: .utf8)
        let resumed = try CLI.run(arguments + ["--resume"])
        #expect(resumed.status != 0)
        #expect(resumed.standardError.contains("teacher_sha256"), "\(resumed.standardError)")
        #expect(resumed.standardError.contains("a run resumes only with the same data and settings"), "\(resumed.standardError)")
    }

    /// Full fine-tuning of the decoder (no LoRA), with and without --gradient-checkpointing: the
    /// same history and weights (each layer recomputed in the backward pass, the same dropout).
    @Test func gradientCheckpointingTrainsTheSameRun() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 40, in: folder, seed: 9)
        func finetune(_ name: String, _ extra: [String]) throws -> String {
            let run = folder.appendingPathComponent(name).path
            let result = try CLI.run([
                "finetune", "--data", data, "--model", Self.model, "--out", run, "--max-length", "64", "--batch-size", "4",
                "--max-steps", "6", "--learning-rate", "1e-3", "--threads", "1", "--head-dropout", "0.1",
            ] + extra)
            #expect(result.status == 0, "\(result.standardError)")
            return run
        }
        let plain = try finetune("plain", [])
        let checkpointed = try finetune("checkpointed", ["--gradient-checkpointing"])
        let weights = try SafetensorsFile(path: plain + "/fold-0.safetensors")
        #expect(weights.names.contains("model.embed_tokens.weight") && weights.names.contains("score.weight"))
        #expect(!weights.names.contains { $0.contains("lora") })
        #expect(try history(plain).count == 7)
        let a = try history(plain), b = try history(checkpointed)
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
            #expect(abs((Double(x[3]) ?? .nan) - (Double(y[3]) ?? .nan)) < 1e-6, "\(x) vs \(y)")
        }
        try expectSameWeights(plain + "/fold-0.safetensors", checkpointed + "/fold-0.safetensors", tolerance: 1e-6)
    }

    /// Bad LoRA settings and a length the chat template cannot fit, each named.
    @Test func badDecoderSettingsAreNamed() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 12, in: folder, seed: 3)
        func finetune(_ extra: [String]) throws -> CLIResult {
            try CLI.run(["finetune", "--data", data, "--model", Self.model, "--out", folder.appendingPathComponent("bad").path,
                         "--threads", "1", "--max-steps", "1"] + extra)
        }
        for (extra, message) in [
            (["--lora", "--lora-rank", "0"], "--lora-rank must be in 1...65536 (got 0)"),
            (["--lora", "--lora-dropout", "1"], "--lora-dropout must be in [0, 1) (got 1.0)"),
            (["--lora", "--lora-alpha=-2"], "--lora-alpha must be a positive number (got -2.0)"),
            (["--lora", "--lora-base", "float16"], "--lora-base float16 needs a CUDA device"),
            (["--lora-rank", "8"], "--lora-rank needs --lora"),
            (["--max-length", "12"], "the chat template's fixed parts (beginning, headers and closing question) take"),
        ] {
            let result = try finetune(extra)
            #expect(result.status == 64, "\(extra): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(extra): \(result.standardError)")
        }
        let result = try finetune(["--lora", "--lora-targets", "q_proj,query"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("target modules \"query\" not found in the base model"), "\(result.standardError)")
        #expect(result.standardError.contains("model.layers.*.self_attn.q_proj"), "\(result.standardError)")
    }

    /// --lora-export-merged: fold-K.merged is the base with each adapted weight moved by
    /// alpha / r · B·A (peft's merge_and_unload), under the plain checkpoint names, beside a
    /// LlamaForSequenceClassification config.json and the tokenizer.
    @Test func mergedExportIsTheBasePlusTheAdapters() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 40, in: folder, seed: 4)
        let run = folder.appendingPathComponent("merged").path
        let result = try CLI.run([
            "finetune", "--data", data, "--model", Self.model, "--out", run, "--lora", "--lora-rank", "4", "--lora-alpha", "8",
            "--lora-base", "float32", "--lora-export-merged", "--max-length", "64", "--batch-size", "4", "--max-steps", "4",
            "--learning-rate", "1e-2", "--threads", "1",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let merged = try SafetensorsFile(path: run + "/fold-0.merged/model.safetensors")
        let base = try SafetensorsFile(path: Self.model + "/model.safetensors")
        let adapters = try SafetensorsFile(path: run + "/fold-0.safetensors")
        #expect(Set(merged.names) == Set(base.names).union(["score.weight"]))
        for name in ["model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"] {
            let b = try adapters.tensor(name + ".lora_B.weight"), a = try adapters.tensor(name + ".lora_A.weight")
            let expected = try base.tensor(name + ".weight") + b.matmul(a) * 2.0
            let difference = zip(try merged.tensor(name + ".weight").floats(), try expected.floats()).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference < 1e-6, "\(name): \(difference)")
            #expect(try b.abs().sum().item() > 0, "the adapter trained")
        }
        #expect(try merged.tensor("score.weight").floats() == adapters.tensor("score.weight").floats())
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/fold-0.merged/config.json"))) as? [String: Any]
        #expect(config?["architectures"] as? [String] == ["LlamaForSequenceClassification"])
        #expect((config?["id2label"] as? [String: String])?.count == 3 && config?["pad_token_id"] as? Int == 4)
        #expect(FileManager.default.fileExists(atPath: run + "/fold-0.merged/tokenizer.json"))
    }
}
