import ArenaData
import Foundation
import Testing
import Torch

/// `arena train --embeddings` and `arena predict` on a run trained with them, as a user runs
/// them, with the real all-MiniLM-L6-v2 on small synthetic files; and the refusals of
/// embeddings that do not belong to the data or the run.
@Suite(.serialized) struct EmbeddingFeaturesCLITests {
    @Test func trainPredictAndRefusals() throws {
        guard let model = EmbedCLITests.miniLM else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
            return
        }
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        #expect(try CLI.run(["synth", "--rows", "90", "--seed", "4", "--out", path("train.csv"), "--quiet"]).status == 0)
        #expect(try CLI.run(["synth", "--rows", "12", "--seed", "5", "--out", path("test.csv"), "--quiet"]).status == 0)
        for name in ["train", "test"] {
            let embed = try CLI.run([
                "embed", "--model", model, "--data", path("\(name).csv"), "--out", path("\(name).safetensors"), "--max-length", "32",
                "--threads", "1",
            ])
            #expect(embed.status == 0, "\(embed.standardError)")
        }
        let run = path("run")
        let common = ["--model", "linear", "--folds", "3", "--rounds", "30", "--threads", "1"]
        let train = try CLI.run(["train", "--data", path("train.csv"), "--embeddings", path("train.safetensors"), "--out", run] + common)
        #expect(train.status == 0, "\(train.standardError)")
        let config = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        for recorded in ["\"texts_fingerprint\"", "\"pooling\" : \"mean\"", "\"max_length\" : 32", "\"normalized\" : true", "all-MiniLM-L6-v2\""] {
            #expect(config.contains(recorded), "config.json lacks \(recorded)")
        }
        let importances = try String(contentsOfFile: run + "/importances.csv", encoding: .utf8)
        #expect(importances.contains("emb_cos_a_prompt") && importances.contains("emb_diff_31") && !importances.contains("emb_diff_32"))

        // Predict embedding the rows with the recorded encoder, and with the file: the same.
        let computed = try CLI.run(["predict", "--run", run, "--data", path("test.csv"), "--out", path("a.csv")])
        #expect(computed.status == 0, "\(computed.standardError)")
        let given = try CLI.run([
            "predict", "--run", run, "--data", path("test.csv"), "--embeddings", path("test.safetensors"), "--out", path("b.csv"),
        ])
        #expect(given.status == 0, "\(given.standardError)")
        let first = SubmissionFile.read(path: path("a.csv")), second = SubmissionFile.read(path: path("b.csv"))
        #expect(first.violations.isEmpty && first.ids.count == 12)
        #expect(first.ids == second.ids)
        #expect(try String(contentsOfFile: path("a.csv"), encoding: .utf8) == String(contentsOfFile: path("b.csv"), encoding: .utf8))

        // `arena serve` on the run embeds each request with the recorded encoder: its answer is
        // `arena predict`'s.
        let (server, port, health) = try ServeCLITests.startServer(run: run)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        #expect(health.contains("\"status\":\"ok\""), "\(health)")
        try ServeCLITests.expectServedEqualsPredicted(run: run, port: port, folder: folder, tolerance: 1e-9)

        // Embeddings of other rows, other ids, other texts: refused, naming the file.
        let otherRows = try CLI.run(["train", "--data", path("train.csv"), "--embeddings", path("test.safetensors"), "--out", path("r1")] + common)
        #expect(otherRows.status != 0 && otherRows.standardError.contains("test.safetensors does not hold the embeddings of"), "\(otherRows.standardError)")
        #expect(otherRows.standardError.contains("it has 12 rows, the data 90"))
        let lines = try String(contentsOfFile: path("train.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try ([lines[0], lines[2], lines[1]] + lines[3...]).joined(separator: "\n").write(toFile: path("reordered.csv"), atomically: true, encoding: .utf8)
        let otherIDs = try CLI.run(["train", "--data", path("reordered.csv"), "--embeddings", path("train.safetensors"), "--out", path("r2")] + common)
        #expect(otherIDs.status != 0 && otherIDs.standardError.contains("row 1 has id"), "\(otherIDs.standardError)")
        let edited = try String(contentsOfFile: path("train.csv"), encoding: .utf8)
        // Row 1 with one more word at the start of its prompt.
        let row = String(lines[1])
        let prompt = try #require(row.firstRange(of: "\"[\"\""))
        try edited.replacingOccurrences(of: row, with: row.replacingCharacters(in: prompt, with: "\"[\"\"Edited. "))
            .write(toFile: path("edited.csv"), atomically: true, encoding: .utf8)
        let otherTexts = try CLI.run(["train", "--data", path("edited.csv"), "--embeddings", path("train.safetensors"), "--out", path("r3")] + common)
        #expect(otherTexts.status != 0 && otherTexts.standardError.contains("the texts differ"), "\(otherTexts.standardError)")
        let wrongData = try CLI.run([
            "predict", "--run", run, "--data", path("test.csv"), "--embeddings", path("train.safetensors"), "--out", path("c.csv"),
        ])
        #expect(wrongData.status != 0 && wrongData.standardError.contains("train.safetensors does not hold the embeddings of"))

        // Embeddings of another model (its metadata rewritten), then missing and corrupt files.
        let original = try SafetensorsFile(path: path("test.safetensors"))
        var metadata = original.metadata
        metadata["model"] = "/elsewhere/other-model"
        try Safetensors.write(try original.names.map { ($0, try original.tensor($0)) }, metadata: metadata, to: path("other.safetensors"))
        let otherModel = try CLI.run([
            "predict", "--run", run, "--data", path("test.csv"), "--embeddings", path("other.safetensors"), "--out", path("c.csv"),
        ])
        #expect(otherModel.status != 0 && otherModel.standardError.contains("other.safetensors was made with model /elsewhere/other-model"), "\(otherModel.standardError)")
        let missing = try CLI.run(["train", "--data", path("train.csv"), "--embeddings", path("none.safetensors"), "--out", path("r4")] + common)
        #expect(missing.status != 0 && missing.standardError.contains("none.safetensors: no such file"), "\(missing.standardError)")
        try "not a safetensors file".write(toFile: path("corrupt.safetensors"), atomically: true, encoding: .utf8)
        let corrupt = try CLI.run(["train", "--data", path("train.csv"), "--embeddings", path("corrupt.safetensors"), "--out", path("r5")] + common)
        #expect(corrupt.status != 0 && corrupt.standardError.contains("cannot use the embeddings file"), "\(corrupt.standardError)")
        #expect(!FileManager.default.fileExists(atPath: path("c.csv")))
        for name in ["r1", "r2", "r3", "r4", "r5"] { #expect(!FileManager.default.fileExists(atPath: path(name))) }

        // A run without embedding features does not take a file; options out of place are usage errors.
        let plain = path("plain")
        #expect(try CLI.run(["train", "--data", path("train.csv"), "--out", plain] + common).status == 0)
        let notUsed = try CLI.run(["predict", "--run", plain, "--data", path("test.csv"), "--embeddings", path("test.safetensors"), "--out", path("c.csv")])
        #expect(notUsed.status != 0 && notUsed.standardError.contains("trained without embedding features"), "\(notUsed.standardError)")
        let prior = try CLI.run(["train", "--data", path("train.csv"), "--model", "prior", "--embeddings", path("train.safetensors"), "--out", path("r6")])
        #expect(prior.status == 64 && prior.standardError.contains("--embeddings needs --model linear or gbdt"))
        let tooWide = try CLI.run(["train", "--data", path("train.csv"), "--embeddings", path("train.safetensors"), "--embedding-difference", "385", "--out", path("r7")] + common)
        #expect(tooWide.status != 0 && tooWide.standardError.contains("--embedding-difference must be at most 384"), "\(tooWide.standardError)")
    }
}
