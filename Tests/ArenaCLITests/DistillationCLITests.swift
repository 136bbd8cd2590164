import Foundation
import Testing
import Torch

/// `arena finetune --teacher FILE --teacher-weight W` with the real all-MiniLM-L6-v2: the teacher
/// is a prediction file (here a feature model's oof.csv, the usual source: a stronger model's
/// out-of-fold predictions); its bad forms are refused naming the file, the line or the ids.
@Suite(.serialized) struct DistillationCLITests {
    /// Rows of a prediction CSV: the header and (id, label, three probabilities) per line.
    func readOutOfFold(_ path: String) throws -> [(id: String, label: String, probabilities: [String])] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let id = try #require(header.firstIndex(of: "id")), label = try #require(header.firstIndex(of: "label"))
        let columns = try ["winner_model_a", "winner_model_b", "winner_tie"].map { try #require(header.firstIndex(of: $0)) }
        return lines.dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (fields[id], fields[label], columns.map { fields[$0] })
        }
    }

    func write(_ rows: [(String, [String])], to path: String) throws {
        let text = (["id,winner_model_a,winner_model_b,winner_tie"] + rows.map { ([$0.0] + $0.1).joined(separator: ",") }).joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func trainingLosses(_ run: String) throws -> [Double] {
        try String(contentsOfFile: run + "/training.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[3]) ?? .nan }
    }

    @Test func teacherMixesIntoTheLossAndBadTeachersAreRefused() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try CLI.syntheticData(rows: 40, in: folder, seed: 3)
        // The teacher: out-of-fold predictions of a feature model, every id of the data.
        let teacherRun = folder.appendingPathComponent("teacher-run").path
        let trained = try CLI.run(["train", "--data", data, "--model", "linear", "--folds", "2", "--rounds", "20", "--threads", "1", "--out", teacherRun])
        #expect(trained.status == 0, "\(trained.standardError)")
        let teacher = teacherRun + "/oof.csv"
        let rows = try readOutOfFold(teacher)
        #expect(rows.count == 40)

        func finetune(_ out: String, _ extra: [String]) throws -> CLIResult {
            try CLI.run([
                "finetune", "--data", data, "--model", model, "--out", folder.appendingPathComponent(out).path, "--max-length", "32",
                "--batch-size", "4", "--max-steps", "4", "--threads", "1", "--learning-rate", "1e-4",
            ] + extra)
        }
        let plain = try finetune("plain", [])
        #expect(plain.status == 0, "\(plain.standardError)")

        // A one-hot teacher at weight 1: the KL divergence to a one-hot row is the cross-entropy
        // itself, so the run trains exactly as the plain one (same losses step by step).
        let oneHot = folder.appendingPathComponent("one-hot.csv").path
        try write(rows.map { row in (row.id, ["model_a", "model_b", "tie"].map { $0 == row.label ? "1" : "0" }) }, to: oneHot)
        let same = try finetune("one-hot", ["--teacher", oneHot, "--teacher-weight", "1"])
        #expect(same.status == 0, "\(same.standardError)")
        let plainLosses = try trainingLosses(folder.appendingPathComponent("plain").path)
        let oneHotLosses = try trainingLosses(folder.appendingPathComponent("one-hot").path)
        #expect(plainLosses.count == 4 && oneHotLosses.count == 4)
        #expect(zip(plainLosses, oneHotLosses).allSatisfy { abs($0 - $1) < 1e-5 }, "\(plainLosses) vs \(oneHotLosses)")

        // The feature model's soft predictions at the default weight 0.5: another loss, recorded
        // in config.json with the teacher's digest.
        let distilled = try finetune("distilled", ["--teacher", teacher])
        #expect(distilled.status == 0, "\(distilled.standardError)")
        let distilledLosses = try trainingLosses(folder.appendingPathComponent("distilled").path)
        #expect(abs(distilledLosses[0] - plainLosses[0]) > 1e-4, "\(distilledLosses) vs \(plainLosses)")
        let config = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("distilled/config.json"))) as? [String: Any]
        let settings = (config?["finetune"] as? [String: Any])?["distillation"] as? [String: Any]
        #expect(settings?["teacher"] as? String == teacher && settings?["weight"] as? Double == 0.5)
        #expect((settings?["teacher_sha256"] as? String)?.count == 64, "\(String(describing: settings))")
        // The run reads back: it predicts.
        let submission = folder.appendingPathComponent("distilled.csv").path
        let predicted = try CLI.run(["predict", "--run", folder.appendingPathComponent("distilled").path, "--data", data, "--out", submission])
        #expect(predicted.status == 0, "\(predicted.standardError)")

        // Bad teachers and weights, each refused naming what is wrong.
        let missing = folder.appendingPathComponent("missing.csv").path
        try write(rows.dropFirst(3).map { ($0.id, $0.probabilities) }, to: missing)
        var result = try finetune("bad", ["--teacher", missing])
        #expect(result.status != 0)
        #expect(result.standardError.contains("teacher file \(missing) has no row for 3 of the 40 training battles (ids \(rows[0].id), \(rows[1].id), \(rows[2].id))"),
                "\(result.standardError)")
        let unnormalised = folder.appendingPathComponent("sum.csv").path
        var changed = rows.map { ($0.id, $0.probabilities) }
        changed[4].1 = ["0.5", "0.5", "0.5"]
        try write(changed, to: unnormalised)
        result = try finetune("bad", ["--teacher", unnormalised])
        #expect(result.status != 0)
        #expect(result.standardError.contains(unnormalised) && result.standardError.contains("line 6"), "\(result.standardError)")
        #expect(result.standardError.contains(rows[4].id), "\(result.standardError)")
        for (extra, message) in [
            (["--teacher", teacher, "--teacher-weight", "0"], "--teacher-weight must be in (0, 1]"),
            (["--teacher", teacher, "--teacher-weight", "1.5"], "--teacher-weight must be in (0, 1]"),
            (["--teacher-weight", "0.3"], "--teacher-weight needs --teacher FILE"),
            (["--teacher", folder.appendingPathComponent("none.csv").path], "none.csv"),
        ] {
            result = try finetune("bad", extra)
            #expect(result.status == 64, "\(extra): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(extra): \(result.standardError)")
        }
    }
}
