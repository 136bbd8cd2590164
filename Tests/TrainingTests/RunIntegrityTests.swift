import ArenaData
import Features
import Foundation
import Testing

@testable import FeatureModels
@testable import Finetuning
@testable import Pipelines
@testable import Prediction
@testable import Runs

#if canImport(Glibc)
import Glibc
#endif

private func temporaryPath(_ name: String = "run") -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("arena-\(name)-\(UUID().uuidString)").path
}

private func priorConfig(rows: Int = 3) -> RunConfig {
    RunConfig(kind: .prior, data: "d.csv", rows: rows, folds: 2, seed: 0, createdAt: "2026-11-27T00:00:00Z")
}

/// What is written into a run folder must read back equal: run files are written with
/// `.convertToSnakeCase` and read with `.convertFromSnakeCase`, and keys spelled with
/// underscores in a type's CodingKeys silently fell back to defaults (every XGBoost setting of a
/// staged config, so `arena train --resume` never resumed) or failed (a --tfidf run's model.json
/// could not be read, so such a run never predicted).
@Suite struct RunFileCodingTests {
    struct Holder: Codable, Equatable {
        var tfidf: HashedTfidf
    }

    @Test(arguments: [FeatureModelSettings.Kind.linear, .gbdt], [false, true])
    func configsReadBackEqual(kind: FeatureModelSettings.Kind, tfidf: Bool) throws {
        let folder = temporaryPath("coding")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var config = priorConfig()
        config.kind = kind == .gbdt ? .gbdt : .linear
        var settings = FeatureModelSettings.defaults(for: kind, seed: 7, tfidf: tfidf)
        settings.parameters.threadCount = 1
        settings.parameters.columnSampleByTree = 0.5
        try config.setFeatureModelSettings(settings)
        try RunFolder.writeJSON(config, path: folder + "/config.json")
        let read = try RunFolder.readJSON(RunConfig.self, runPath: folder, name: "config.json")
        #expect(read == config)
        #expect(read.differences(from: config).isEmpty)
        #expect(try read.featureModelSettings() == settings)
        #expect(try read.featureModelSettings()?.parameters.columnSampleByTree == 0.5)
    }

    @Test func fittedTfidfReadsBackEqual() throws {
        let folder = temporaryPath("coding")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var model = try HashedTfidf(configuration: .init(wordBuckets: 1 << 8, characterBuckets: 1 << 7))
        model.fit(["a first document", "a second one", "and a third, longer document"])
        try RunFolder.writeJSON(Holder(tfidf: model), path: folder + "/model.json")
        let text = try String(contentsOfFile: folder + "/model.json", encoding: .utf8)
        #expect(text.contains("\"document_count\"") && text.contains("\"idf_float32_le_base64\""))
        let read = try RunFolder.readJSON(Holder.self, runPath: folder, name: "model.json")
        #expect(read.tfidf == model)
    }

    /// A model family's settings live in config.json as JSON the family decodes: every digit of
    /// a 64-bit seed survives, and the file spells the keys in snake case as before.
    @Test func familySettingsKeepEveryDigit() throws {
        let folder = temporaryPath("coding")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var config = priorConfig()
        config.kind = .cross
        var settings = FinetuneSettings(architecture: .cross, model: "models/x")
        settings.seed = UInt64.max
        settings.learningRate = 1e-5
        try config.setFinetuneSettings(settings)
        try RunFolder.writeJSON(config, path: folder + "/config.json")
        let text = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        #expect(text.contains("\"seed\" : 18446744073709551615") && text.contains("\"learning_rate\""))
        #expect(text.contains("\"model\" : \"cross\""))
        let read = try RunFolder.readJSON(RunConfig.self, runPath: folder, name: "config.json")
        #expect(read == config)
        #expect(try read.finetuneSettings() == settings)
        #expect(try read.featureModelSettings() == nil)
    }

    /// A run of a kind this arena does not know is named as such, not as a damaged file.
    @Test func unknownKindIsNamed() throws {
        let folder = temporaryPath("kind")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try #"{"format_version": 2, "arena_version": "9.0", "model": "llama", "data": "x", "rows": 1, "folds": 2, "seed": 0, "created_at": ""}"#
            .write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        #expect(throws: RunError.incompatibleRun(path: folder + "/config.json", reason: "model \"llama\" is not one this arena knows")) {
            try RunFolder.readConfig(runPath: folder)
        }
    }

    @Test func differencesNameTheField() throws {
        var staged = priorConfig()
        var settings = FeatureModelSettings.defaults(for: .linear, seed: 0, tfidf: false)
        try staged.setFeatureModelSettings(settings)
        var now = staged
        now.createdAt = "later"
        now.files = ["x": "y"]
        #expect(staged.differences(from: now).isEmpty)
        settings.parameters.learningRate = 0.3
        try now.setFeatureModelSettings(settings)
        now.dataFingerprint = "abc"
        let differences = staged.differences(from: now)
        #expect(differences.count == 2)
        #expect(differences.contains { $0.hasPrefix("settings.parameters.eta: 0.5 in the staged run, 0.3 now") })
        #expect(differences.contains { $0.hasPrefix("data_fingerprint:") })
    }
}

@Suite struct SHA256Tests {
    @Test func knownDigests() throws {
        // FIPS 180-2 examples.
        #expect(try SHA256.hex(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            try SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func fileDigestEqualsInMemoryDigest() throws {
        let path = temporaryPath("sha") + ".bin"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Larger than one 4 MiB read, not a multiple of it.
        let count = 9 * 1024 * 1024 + 123
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try SHA256.hex(ofFile: path) == SHA256.hex(of: bytes))
        #expect(throws: DataError.self) { try SHA256.hex(ofFile: path + ".missing") }
    }
}

@Suite(.serialized) struct RunLifecycleTests {
    /// A committed run with a model file and a file in a subfolder.
    func committedRun() throws -> (path: String, config: RunConfig) {
        let path = temporaryPath()
        let config = priorConfig()
        let run = try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
        try run.writeJSON(ClassPriorModel(probabilities: [0.4, 0.4, 0.2]), to: "model.json")
        try AtomicFile.makeDirectory(run.file("model"))
        try run.write("weights", to: "model/weights.txt")
        try run.commit(config: config)
        return (path, config)
    }

    @Test func commitListsEveryFileAndLoadChecksThem() throws {
        let (path, _) = try committedRun()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try RunFolder.readConfig(runPath: path)
        #expect(config.formatVersion == RunFolder.formatVersion)
        #expect(Set(config.files?.keys.map { $0 } ?? []) == ["model.json", "model/weights.txt"])
        #expect(config.files?["model/weights.txt"] == (try SHA256.hex(of: Array("weights".utf8))))

        // A file from elsewhere is named, with both digests.
        try "other weights".write(toFile: path + "/model/weights.txt", atomically: true, encoding: .utf8)
        #expect {
            try RunFolder.readConfig(runPath: path)
        } throws: { error in
            guard case let .foreignFile(file, expected, actual)? = error as? RunError else { return false }
            return file == path + "/model/weights.txt" && expected == config.files?["model/weights.txt"]
                && actual == (try? SHA256.hex(of: Array("other weights".utf8)))
                && "\(error)".contains("does not belong to this run")
        }
        try FileManager.default.removeItem(atPath: path + "/model/weights.txt")
        #expect {
            try RunFolder.readConfig(runPath: path)
        } throws: { error in
            guard case let .corruptRun(file, reason)? = error as? RunError else { return false }
            return file == path + "/model/weights.txt" && reason.contains("missing")
        }
    }

    @Test func aFileListPointingOutsideTheRunIsRefused() throws {
        let (path, _) = try committedRun()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var config = try RunFolder.readConfig(runPath: path)
        config.files?["../elsewhere.json"] = "00"
        try RunFolder.writeJSON(config, path: path + "/config.json")
        #expect(throws: RunError.self) { try RunFolder.readConfig(runPath: path) }
    }

    @Test func aSecondWriterIsRefusedWithTheHoldersPid() throws {
        let path = temporaryPath()
        let config = priorConfig()
        let first = try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
        #expect {
            try RunFolder.begin(at: path, config: config, overwrite: true, resume: true)
        } throws: { error in
            guard case let .runLocked(lockedPath, holder)? = error as? RunError else { return false }
            return lockedPath == path && holder == getpid() && "\(error)".contains("pid \(getpid())")
        }
        try first.commit(config: config)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Released at commit: the lock file is gone and another writer may start.
        #expect(!FileManager.default.fileExists(atPath: RunLock.lockPath(forRun: path)))
        let second = try RunFolder.begin(at: path, config: config, overwrite: true, resume: false)
        second.discard()
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(FileManager.default.fileExists(atPath: path + "/model.json") == false)
        #expect(FileManager.default.fileExists(atPath: path + "/config.json"))
    }

    @Test func overwriteReplacesOnlyRuns() throws {
        let folder = temporaryPath("notes")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "my notes".write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
        #expect {
            try RunFolder.begin(at: folder, config: priorConfig(), overwrite: true, resume: false)
        } throws: { error in
            guard case .notARunFolder? = error as? RunError else { return false }
            return true
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/notes.txt"))
        #expect(!FileManager.default.fileExists(atPath: folder + ".partial"))

        // A run that holds an input of the command is not replaced either.
        let (run, config) = try committedRun()
        defer { try? FileManager.default.removeItem(atPath: run) }
        #expect(throws: RunError.self) {
            try RunFolder.begin(at: run, config: config, overwrite: true, resume: false, inputs: [run + "/model.json"])
        }
        // A file is not a run folder.
        #expect(throws: RunError.self) {
            try RunFolder.begin(at: folder + "/notes.txt", config: config, overwrite: true, resume: false)
        }
    }

    @Test func finishedWorkIsNeverClearedWithoutOverwrite() throws {
        let path = temporaryPath()
        let config = priorConfig()
        do {
            let run = try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
            try run.write("fold 0", to: "fold-0.json")
            try run.write("half", to: "fold-1.json.tmp-1-2")
        }
        defer { try? FileManager.default.removeItem(atPath: path + ".partial") }
        // Without resume or overwrite: refused, the work kept.
        #expect {
            try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
        } throws: { error in
            guard case let .interruptedRunExists(_, files)? = error as? RunError else { return false }
            return files == ["fold-0.json"]
        }
        #expect(FileManager.default.fileExists(atPath: path + ".partial/fold-0.json"))
        // Resume with other settings: refused, naming the difference.
        var other = config
        other.seed = 3
        #expect {
            try RunFolder.begin(at: path, config: other, overwrite: false, resume: true)
        } throws: { error in
            guard case let .cannotResume(_, differences)? = error as? RunError else { return false }
            return differences == ["seed: 0 in the staged run, 3 now"]
        }
        // Resume with the same config (another creation time): continued, the stray temporary file gone.
        var later = config
        later.createdAt = "2026-11-28T00:00:00Z"
        let resumed = try RunFolder.begin(at: path, config: later, overwrite: false, resume: true)
        #expect(resumed.resumed)
        #expect(FileManager.default.fileExists(atPath: path + ".partial/fold-0.json"))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial/fold-1.json.tmp-1-2"))
        resumed.discard()
        // discard keeps finished work.
        #expect(FileManager.default.fileExists(atPath: path + ".partial/fold-0.json"))
        // overwrite starts over.
        let fresh = try RunFolder.begin(at: path, config: config, overwrite: true, resume: false)
        #expect(!fresh.resumed)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial/fold-0.json"))
        fresh.discard()
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(!FileManager.default.fileExists(atPath: RunLock.lockPath(forRun: path)))
    }
}

@Suite struct OutputPathTests {
    @Test func devicesFoldersAndInputsAreRefused() throws {
        let folder = temporaryPath("out")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect { try OutputPath.resolve("/dev/null") } throws: { "\($0)".contains("a character device, not a regular file") }
        #expect { try OutputPath.resolve(folder) } throws: { "\($0)".contains("a folder") }
        #expect(throws: DataError.self) { try AtomicFile.write("x", to: "/dev/null") }
        var status = stat()
        #expect(lstat("/dev/null", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)

        let input = folder + "/input.csv"
        try "id\n1\n".write(toFile: input, atomically: true, encoding: .utf8)
        #expect { try OutputPath.resolve(input, inputs: [input]) } throws: { "\($0)".contains("it is the input file") }
        // Another name for the same file (a hard link, a path with "..") is the same input.
        #expect(link(input, folder + "/hard.csv") == 0)
        #expect(throws: DataError.self) { try OutputPath.resolve(folder + "/hard.csv", inputs: [input]) }
        #expect(throws: DataError.self) { try OutputPath.resolve(folder + "/../" + (folder as NSString).lastPathComponent + "/input.csv", inputs: [input]) }
        #expect(try OutputPath.resolve(folder + "/new.csv", inputs: [input]) == folder + "/new.csv")
        #expect(try String(contentsOfFile: input, encoding: .utf8) == "id\n1\n")
    }

    @Test func symbolicLinksAreWrittenThrough() throws {
        let folder = temporaryPath("out")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A dangling relative link: its target is created; the link stays a link.
        #expect(symlink("target.csv", folder + "/link.csv") == 0)
        try AtomicFile.write("first\n", to: folder + "/link.csv")
        try AtomicFile.write("second\n", to: folder + "/link.csv")
        var status = stat()
        #expect(lstat(folder + "/link.csv", &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK)
        #expect(try String(contentsOfFile: folder + "/target.csv", encoding: .utf8) == "second\n")
        // A link to an input is the input.
        #expect(throws: DataError.self) { try OutputPath.resolve(folder + "/link.csv", inputs: [folder + "/target.csv"]) }
        // A loop of links ends with an error.
        #expect(symlink("b", folder + "/a") == 0 && symlink("a", folder + "/b") == 0)
        #expect(throws: DataError.self) { try AtomicFile.write("x", to: folder + "/a") }
    }
}

@Suite struct FeatureClippingTests {
    /// A text far longer than any seen in training counts as the longest seen: the linear model
    /// no longer extrapolates to near-certainty, and clipping keeps predictions swap-consistent.
    @Test func standardisedFeaturesStayInTheTrainingRange() throws {
        let generator = SyntheticBattleGenerator(seed: 3)
        let battles = (0..<200).map { generator.row(index: $0).battle }
        let featurizer = try BattleFeaturizer(fitting: battles, tfidf: nil)
        let limits = try #require(featurizer.standardizer.limits)
        // Training rows are unchanged by the clipping (they define the range).
        let table = try featurizer.table(for: battles)
        for row in 0..<table.rows {
            for (column, value) in Array(table.dense.row(row)).enumerated() { #expect(abs(value) <= limits[column]) }
        }
        var huge = battles[0]
        huge.responseA = [String(repeating: "word ", count: 60_000)]
        let clipped = try featurizer.table(for: [huge, huge.swapped])
        let original = Array(clipped.dense.row(0))
        let swapped = Array(clipped.dense.row(1))
        let names = HandFeatures.names
        let chars = try #require(names.firstIndex(of: "a_chars"))
        #expect(original[chars] == limits[chars])
        let swap = HandFeatures.swapPermutation
        for column in 0..<names.count {
            let mirrored = swap.signs[column] * original[swap.sourceIndices[column]]
            #expect(swapped[column] == mirrored, "column \(names[column])")
        }
    }
}
