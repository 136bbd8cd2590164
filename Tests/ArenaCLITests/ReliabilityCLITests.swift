import ArenaData
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults and hostile inputs as a user meets them (issue 11): kills, concurrent writers, moved
/// ensembles, outputs over inputs and devices, files swapped between runs, bad settings.
@Suite(.serialized) struct ReliabilityCLITests {
    func syntheticData(rows: Int, in folder: URL, seed: Int = 5, name: String = "train.csv") throws -> String {
        try CLI.syntheticData(rows: rows, in: folder, seed: seed, name: name)
    }

    /// Starts `arena` with `arguments` in the background.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until `path` exists while `process` runs; false when it ended first or time ran out.
    func waitFor(_ path: String, while process: Process, seconds: Double = 300) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return FileManager.default.fileExists(atPath: path) && process.isRunning
    }

    /// A SIGKILL after the first fold, then the same command with --resume: the finished folds
    /// are used again and the run equals an uninterrupted one byte for byte.
    @Test func killedTrainResumesToTheSameRun() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 1500, in: folder)
        func arguments(_ out: String) -> [String] {
            ["train", "--data", data, "--out", folder.appendingPathComponent(out).path, "--threads", "1", "--folds", "5"]
        }
        let whole = try CLI.run(arguments("whole"))
        #expect(whole.status == 0, "\(whole.standardError)")

        let run = folder.appendingPathComponent("killed").path
        let process = try start(arguments("killed"))
        let sawFold = waitFor(run + ".partial/fold-0.checkpoint.json", while: process)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(sawFold, "the run ended before its first fold was saved")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: run))

        // Without --resume the finished work is not thrown away.
        let again = try CLI.run(arguments("killed"))
        #expect(again.status == 1)
        #expect(again.standardError.contains("holds an interrupted run with finished work"), "\(again.standardError)")
        #expect(FileManager.default.fileExists(atPath: run + ".partial/fold-0.checkpoint.json"))

        let resumed = try CLI.run(arguments("killed") + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("resuming from \(run).partial"), "\(resumed.standardError)")
        #expect(resumed.standardError.contains("fold 1/5, resumed from checkpoint"), "\(resumed.standardError)")
        for file in ["oof.csv", "metrics.json", "model.json", "fold-0.json", "fold-4.json", "history.csv"] {
            let expected = try Data(contentsOf: folder.appendingPathComponent("whole/" + file))
            let actual = try Data(contentsOf: URL(fileURLWithPath: run + "/" + file))
            #expect(actual == expected, "\(file) differs from the uninterrupted run's")
        }
        #expect(!FileManager.default.fileExists(atPath: run + ".partial"))
        #expect(!FileManager.default.fileExists(atPath: run + ".lock"))

        // Resuming with other settings names what differs.
        let other = try start(arguments("other"))
        let sawOther = waitFor(folder.appendingPathComponent("other.partial/fold-0.checkpoint.json").path, while: other)
        kill(other.processIdentifier, SIGKILL)
        other.waitUntilExit()
        try #require(sawOther)
        let changed = try CLI.run(arguments("other") + ["--resume", "--seed", "9"])
        #expect(changed.status == 1)
        #expect(changed.standardError.contains("seed: 0 in the staged run, 9 now"), "\(changed.standardError)")
    }

    /// Two writers of one run: the second is refused, naming the first's pid, and the finished
    /// run is the first's alone.
    @Test func aSecondWriterOfARunIsRefused() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try syntheticData(rows: 1500, in: folder, seed: 1, name: "first.csv")
        let second = try syntheticData(rows: 300, in: folder, seed: 2, name: "second.csv")
        let run = folder.appendingPathComponent("run").path
        let process = try start(["train", "--data", first, "--out", run, "--threads", "1"])
        try #require(waitFor(run + ".lock", while: process), "the first writer ended before it was seen")
        let refused = try CLI.run(["train", "--data", second, "--out", run, "--threads", "1", "--overwrite", "--resume"])
        #expect(refused.status == 1)
        #expect(
            refused.standardError.contains("is being written by another arena process (pid \(process.processIdentifier))"),
            "\(refused.standardError)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any])
        #expect(config["rows"] as? Int == 1500)
        // Every file of the run is the first writer's: the digests check.
        let test = folder.appendingPathComponent("test.csv").path
        try "id,prompt,response_a,response_b\n1,\"[\"\"p\"\"]\",\"[\"\"a\"\"]\",\"[\"\"b\"\"]\"\n".write(toFile: test, atomically: true, encoding: .utf8)
        let predicted = try CLI.run(["predict", "--run", run, "--data", test, "--out", folder.appendingPathComponent("s.csv").path])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let files = try FileManager.default.contentsOfDirectory(atPath: run)
        #expect(!files.contains { $0.contains("checkpoint") || $0.contains(".tmp-") }, "\(files)")
    }

    /// An ensemble holds copies of its members: moved, and called from another directory, it
    /// predicts the same; a member retrained at its old path does not change it; a fold file
    /// copied in from another run is named.
    @Test func ensemblesAreSelfContainedAndFilesProveTheyBelong() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 300, in: folder)
        let test = try syntheticData(rows: 40, in: folder, seed: 8, name: "test.csv")
        for (name, extra) in [("linear", ["--model", "linear"]), ("prior", ["--model", "prior"]), ("tfidf", ["--tfidf"])] {
            let result = try CLI.run(["train", "--data", data, "--out", "runs/" + name, "--threads", "1"] + extra, in: folder)
            #expect(result.status == 0, "\(result.standardError)")
        }
        // A --tfidf run predicts (its model.json reads back).
        let tfidf = try CLI.run(["predict", "--run", "runs/tfidf", "--data", test, "--out", "tfidf.csv"], in: folder)
        #expect(tfidf.status == 0, "\(tfidf.standardError)")

        let blend = try CLI.run(["ensemble", "--run", "runs/linear", "--run", "runs/prior", "--out", "runs/blend"], in: folder)
        #expect(blend.status == 0, "\(blend.standardError)")
        let before = try CLI.run(["predict", "--run", "runs/blend", "--data", test, "--out", "before.csv"], in: folder)
        #expect(before.status == 0, "\(before.standardError)")

        // Move it, put another run where a member was, and predict from elsewhere.
        let elsewhere = folder.appendingPathComponent("elsewhere/deeper")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: folder.path + "/runs/blend", toPath: elsewhere.path + "/blend")
        try FileManager.default.removeItem(atPath: folder.path + "/runs/linear")
        try FileManager.default.copyItem(atPath: folder.path + "/runs/tfidf", toPath: folder.path + "/runs/linear")
        let after = try CLI.run(["predict", "--run", "deeper/blend", "--data", test, "--out", "../after.csv"], in: elsewhere.deletingLastPathComponent())
        #expect(after.status == 0, "\(after.standardError)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("after.csv")) == Data(contentsOf: folder.appendingPathComponent("before.csv")))

        // A fold model copied in from another run (trained on the same data with other settings).
        let foreign = folder.path + "/runs/prior/model.json"
        try FileManager.default.removeItem(atPath: foreign)
        try FileManager.default.copyItem(atPath: folder.path + "/runs/linear/model.json", toPath: foreign)
        let swapped = try CLI.run(["predict", "--run", "runs/prior", "--data", test, "--out", "x.csv"], in: folder)
        #expect(swapped.status == 1)
        #expect(swapped.standardError.contains("runs/prior/model.json does not belong to this run"), "\(swapped.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/x.csv"))
        let inEnsemble = elsewhere.path + "/blend/members/0-linear/fold-1.json"
        try FileManager.default.removeItem(atPath: inEnsemble)
        try FileManager.default.copyItem(atPath: folder.path + "/runs/tfidf/fold-1.json", toPath: inEnsemble)
        let damaged = try CLI.run(["predict", "--run", elsewhere.path + "/blend", "--data", test, "--out", "y.csv"], in: folder)
        #expect(damaged.status == 1)
        #expect(damaged.standardError.contains("members/0-linear/fold-1.json does not belong to this run"), "\(damaged.standardError)")
    }

    /// Outputs go only to regular files or new paths, through symbolic links, never over an input
    /// or a folder that is not a run.
    @Test func outputsNeverClobberInputsDevicesOrFolders() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 200, in: folder.appendingPathComponent("d"))
        let original = try Data(contentsOf: URL(fileURLWithPath: data))
        let run = folder.appendingPathComponent("runs/prior").path
        #expect(try CLI.run(["train", "--data", data, "--model", "prior", "--out", run]).status == 0)

        // split into the folder that holds its input would replace it with the 80% part.
        let split = try CLI.run(["split", "--data", data, "--out-dir", folder.appendingPathComponent("d").path])
        #expect(split.status == 1)
        #expect(split.standardError.contains("it is the input file \(data)"), "\(split.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: data)) == original)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/d/test.csv"))

        // predict over its own input, over a run's file, into a device, into a folder.
        for out in [data, run + "/oof.csv", "/dev/full", "/dev/null", folder.path + "/d"] {
            let result = try CLI.run(["predict", "--run", run, "--data", data, "--out", out])
            #expect(result.status == 1, "\(out)")
            #expect(result.standardError.contains("cannot write"), "\(out): \(result.standardError)")
            #expect(!result.standardError.contains("wrote"), "\(out)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: data)) == original)
        var status = stat()
        #expect(lstat("/dev/full", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)
        #expect(lstat("/dev/null", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)

        // Through a symbolic link: the target is written, the link stays.
        let link = folder.path + "/latest.csv"
        #expect(symlink("d/submission.csv", link) == 0)
        let linked = try CLI.run(["predict", "--run", run, "--data", data, "--out", link])
        #expect(linked.status == 0, "\(linked.standardError)")
        #expect(lstat(link, &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK)
        #expect(SubmissionFile.read(path: folder.path + "/d/submission.csv").ids.count == 200)
        // A link to the input is the input.
        #expect(symlink("d/train.csv", folder.path + "/input-link.csv") == 0)
        #expect(try CLI.run(["predict", "--run", run, "--data", data, "--out", folder.path + "/input-link.csv"]).status == 1)

        // --overwrite replaces runs only.
        let notes = folder.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
        try "keep me".write(to: notes.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let overwrite = try CLI.run(["train", "--data", data, "--model", "prior", "--out", notes.path, "--overwrite"])
        #expect(overwrite.status == 1)
        #expect(overwrite.standardError.contains("not an arena run"), "\(overwrite.standardError)")
        #expect(try String(contentsOf: notes.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep me")
        #expect(!FileManager.default.fileExists(atPath: notes.path + ".partial"))
        // A run is replaced.
        let replaced = try CLI.run(["train", "--data", data, "--model", "prior", "--out", run, "--overwrite", "--folds", "3"])
        #expect(replaced.status == 0, "\(replaced.standardError)")
        #expect(try String(contentsOfFile: run + "/config.json", encoding: .utf8).contains("\"folds\" : 3"))
    }

    /// A response far longer than any in training (300k characters) counts as the longest seen:
    /// the linear model gave such a side 3.9e-20 before its features were clipped.
    @Test func aHugeResponseDoesNotDriveTheLinearModelToCertainty() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 400, in: folder)
        let run = folder.appendingPathComponent("run").path
        let trained = try CLI.run(["train", "--data", data, "--out", run, "--threads", "1"])
        #expect(trained.status == 0, "\(trained.standardError)")
        let huge = String(repeating: "word ", count: 60_000)
        var writer = CSVWriter()
        writer.write(["id", "prompt", "response_a", "response_b"])
        writer.write(["1", JSONWriter.turns(["hi"]), JSONWriter.turns([huge]), JSONWriter.turns(["short"])])
        writer.write(["2", JSONWriter.turns(["hi"]), JSONWriter.turns(["short"]), JSONWriter.turns([huge])])
        let test = folder.appendingPathComponent("huge.csv").path
        try writer.take().write(toFile: test, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("s.csv").path
        let predicted = try CLI.run(["predict", "--run", run, "--data", test, "--out", out])
        #expect(predicted.status == 0, "\(predicted.standardError)")
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
        #expect(rows.count == 2)
        for row in rows { #expect(row.count == 3 && row.allSatisfy { $0 > 1e-4 }, "\(row)") }
        // Still swap-consistent.
        #expect(rows[0][0] == rows[1][1] && rows[0][2] == rows[1][2])
    }

    /// Settings are checked before any work and leave nothing behind; usage errors exit 64,
    /// failed work 1.
    @Test func badSettingsFailBeforeWorkAndLeaveNothing() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 60, in: folder)
        let run = folder.appendingPathComponent("run").path
        func leftNothing() -> Bool {
            !FileManager.default.fileExists(atPath: run) && !FileManager.default.fileExists(atPath: run + ".partial")
                && !FileManager.default.fileExists(atPath: run + ".lock")
        }
        for extra in [["--learning-rate", "inf"], ["--learning-rate", "nan"], ["--folds", "1"], ["--rounds", "0"], ["--bogus"]] {
            let result = try CLI.run(["train", "--data", data, "--out", run] + extra)
            #expect(result.status == 64, "\(extra): \(result.standardError)")
            #expect(leftNothing(), "\(extra)")
        }
        let batch = try CLI.run(["predict", "--run", run, "--data", data, "--out", folder.path + "/s.csv", "--batch-size", "0"])
        #expect(batch.status == 64 && batch.standardError.contains("--batch-size"), "\(batch.standardError)")

        // One class only: refused with the counts, no staging folder left.
        let oneClass = folder.appendingPathComponent("one.jsonl").path
        try (0..<6).map { #"{"id": \#($0), "prompt": "p", "response_a": "a\#($0)", "response_b": "b", "winner": "model_a"}"# }
            .joined(separator: "\n").write(toFile: oneClass, atomically: true, encoding: .utf8)
        let single = try CLI.run(["train", "--data", oneClass, "--out", run, "--model", "prior", "--folds", "2"])
        #expect(single.status == 1)
        #expect(single.standardError.contains("no training row has the label model_b"), "\(single.standardError)")
        #expect(leftNothing())

        // Work that fails after the run began (more folds than rows) leaves nothing either.
        let tooManyFolds = try CLI.run(["train", "--data", data, "--out", run, "--model", "prior", "--folds", "61"])
        #expect(tooManyFolds.status == 1, "\(tooManyFolds.standardError)")
        #expect(leftNothing())
    }

    /// Fine-tuning settings: float16 on the CPU and an invalid rate are refused before any work;
    /// a huge --epochs with --max-steps is a step count, not an overflow.
    @Test func finetuneSettingsAreCheckedAndArithmeticCannotTrap() throws {
        let model = try #require(EmbedCLITests.miniLM, "all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try syntheticData(rows: 40, in: folder)
        let run = folder.appendingPathComponent("run").path
        let base = ["finetune", "--data", data, "--model", model, "--out", run, "--max-length", "32", "--batch-size", "4", "--threads", "1"]
        for (extra, message) in [
            (["--precision", "float16"], "float16 needs a CUDA device"), (["--weight-decay", "inf"], "--weight-decay"),
            (["--batch-size", "9223372036854775807"], "--batch-size must be in"), (["--accumulate", "4611686018427387904"], "--accumulate"),
        ] {
            let result = try CLI.run(base + extra)
            #expect(result.status == 64, "\(extra): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(extra): \(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: run + ".partial") && !FileManager.default.fileExists(atPath: run + ".lock"))
        }
        let huge = try CLI.run(base + ["--epochs", "1000000000000000000", "--max-steps", "1"])
        #expect(huge.status == 0, "\(huge.standardError)")
        let steps = try String(contentsOfFile: run + "/training.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(steps.count == 1)
    }
}
