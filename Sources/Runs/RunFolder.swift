import ArenaData
import FileIO
import Foundation
import Prediction

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A training run kept as a folder a user can copy, inspect and predict from:
///
///     runs/NAME/
///       config.json    what was trained, on what, with which settings, and the SHA-256 of
///                      every other file of the run (`RunConfig`)
///       metrics.json   log loss per fold and out of fold (`RunMetrics`)
///       oof.csv        out-of-fold predictions: id, fold, label, three probabilities
///       model.json     the fitted model (format depends on the model kind)
///
/// The lifecycle: `begin` takes an exclusive lock (`RunLock`, `NAME.lock`), checks what is at
/// the path (an existing run is replaced only with `overwrite`, and only if it is a run), and
/// prepares the staging folder `NAME.partial` (an interrupted run there is continued with
/// `resume` when its config matches, and never cleared without `overwrite`). `commit` lists
/// the files with their digests in config.json and renames the folder into place, so a
/// killed run never leaves a folder that looks complete. `discard` removes a staging folder
/// that holds no finished work, so a refused or failed start leaves nothing behind.
public struct RunFolder: Sendable {
    /// The folder's final path.
    public let path: String
    /// Where files are written until `commit()`.
    public let stagingPath: String
    /// Whether the staging folder held an interrupted run of the same config, now continued.
    public let resumed: Bool
    private let lock: RunLock?

    /// The version of the folder layout written now. Version 2 added the file digests.
    public static let formatVersion = 2
    /// The versions this arena reads (a version-1 run has no digests to check).
    public static let readableFormatVersions = 1...2

    /// The staging files that are not finished work (a start that failed may leave them).
    static let bookkeepingFiles: Set<String> = ["config.json"]

    private init(path: String, stagingPath: String, resumed: Bool, lock: RunLock?) {
        self.path = path
        self.stagingPath = stagingPath
        self.resumed = resumed
        self.lock = lock
    }

    /// Begins writing the run `config` at `path`; see the type's description. `inputs` are
    /// files the run reads: a folder holding one of them is never replaced.
    public static func begin(
        at path: String, config: RunConfig, overwrite: Bool, resume: Bool, inputs: [String] = []
    ) throws(RunError) -> RunFolder {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.isEmpty else { throw RunError.invalidPath(path: path, reason: "the run folder's path is empty") }
        let manager = FileManager.default
        let parent = FilePaths.parent(of: trimmed)
        if !parent.isEmpty, !manager.fileExists(atPath: parent) {
            do { try AtomicFile.makeDirectory(parent) } catch { throw RunError.io(error) }
        }
        let lock = try RunLock.acquire(forRun: trimmed)
        try checkReplaceable(trimmed, overwrite: overwrite, inputs: inputs)
        let staging = trimmed + ".partial"
        var resumed = false
        let staged = ((try? RunManifest.files(under: staging)) ?? []).filter { !bookkeepingFiles.contains($0) && !$0.contains(AtomicFileWriter.temporaryMarker) }
        if manager.fileExists(atPath: staging) {
            if resume, !staged.isEmpty {
                guard let previous = try? readJSON(RunConfig.self, runPath: staging, name: "config.json") else {
                    throw RunError.cannotResume(path: staging, differences: ["its config.json is missing or damaged"])
                }
                let differences = previous.differences(from: config)
                guard differences.isEmpty else { throw RunError.cannotResume(path: staging, differences: differences) }
                resumed = true
                // Temporary files of writes that a kill interrupted are not part of the run.
                for name in (try? RunManifest.files(under: staging)) ?? [] where name.contains(AtomicFileWriter.temporaryMarker) {
                    try? manager.removeItem(atPath: staging + "/" + name)
                }
            } else if !staged.isEmpty, !overwrite {
                throw RunError.interruptedRunExists(path: staging, files: staged)
            }
            if !resumed {
                do { try manager.removeItem(atPath: staging) } catch {
                    throw RunError.io(DataError.writeFailed(path: staging, reason: error.localizedDescription))
                }
            }
        }
        do { try AtomicFile.makeDirectory(staging) } catch { throw RunError.io(error) }
        let folder = RunFolder(path: trimmed, stagingPath: staging, resumed: resumed, lock: lock)
        try folder.writeJSON(config, to: "config.json")
        return folder
    }

    /// Throws unless `path` is free or, with `overwrite`, an arena run that holds none of `inputs`.
    private static func checkReplaceable(_ path: String, overwrite: Bool, inputs: [String]) throws(RunError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw RunError.notARunFolder(path: path, reason: "a file that is not a folder is there")
        }
        guard overwrite else { throw RunError.runExists(path: path) }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if !contents.isEmpty {
            guard let config = try? readJSON(RunConfig.self, runPath: path, name: "config.json"),
                readableFormatVersions.contains(config.formatVersion)
            else {
                throw RunError.notARunFolder(path: path, reason: "the folder is not an arena run (it has no run config.json)")
            }
        }
        let folder = (realPath(path) ?? path) + "/"
        for input in inputs {
            if let resolved = realPath(input), resolved == String(folder.dropLast()) || resolved.hasPrefix(folder) {
                throw RunError.notARunFolder(path: path, reason: "it holds \(input), an input of this command")
            }
        }
    }

    /// The staging path of a file in the run.
    public func file(_ name: String) -> String { stagingPath + "/" + name }

    /// Writes `value` as pretty-printed JSON (sorted keys) into the run.
    public func writeJSON<Value: Encodable>(_ value: Value, to name: String) throws(RunError) {
        try RunFolder.writeJSON(value, path: file(name))
    }

    /// Writes `text` into the run.
    public func write(_ text: String, to name: String) throws(RunError) {
        do { try AtomicFile.write(text, to: file(name)) } catch { throw RunError.io(error) }
    }

    /// Copies the finished run at `source` into this run as the folder `name`. A real copy, not
    /// a hard link: a user's `cp` over a file of the source run writes into the same inode and
    /// would change the ensemble's copy too.
    public func importRun(at source: String, as name: String) throws(RunError) {
        let target = file(name)
        for relative in try RunManifest.files(under: source) {
            let from = source + "/" + relative
            let to = target + "/" + relative
            do { try AtomicFile.makeDirectory(FilePaths.parent(of: to)) } catch { throw RunError.io(error) }
            do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
                throw RunError.io(DataError.writeFailed(path: to, reason: error.localizedDescription))
            }
        }
    }

    /// Whether the staging folder holds finished work of an interrupted run.
    public var hasStagedFiles: Bool {
        ((try? RunManifest.files(under: stagingPath)) ?? []).contains { !RunFolder.bookkeepingFiles.contains($0) && !$0.contains(AtomicFileWriter.temporaryMarker) }
    }

    /// Lists every file with its SHA-256 in `config` (written as config.json), moves the
    /// finished run into place (an older run at the path is renamed aside first and removed
    /// after), and releases the lock.
    public func commit(config: RunConfig) throws(RunError) {
        var config = config
        config.formatVersion = RunFolder.formatVersion
        config.files = try RunManifest.digests(of: stagingPath, excluding: RunFolder.bookkeepingFiles)
        try writeJSON(config, to: "config.json")
        let manager = FileManager.default
        var replaced: String?
        if manager.fileExists(atPath: path) {
            let aside = path + ".replaced-\(getpid())"
            try? manager.removeItem(atPath: aside)
            do { try manager.moveItem(atPath: path, toPath: aside) } catch {
                throw RunError.io(DataError.writeFailed(path: path, reason: error.localizedDescription))
            }
            replaced = aside
        }
        do { try manager.moveItem(atPath: stagingPath, toPath: path) } catch {
            throw RunError.io(DataError.writeFailed(path: path, reason: error.localizedDescription))
        }
        if let replaced { try? manager.removeItem(atPath: replaced) }
        lock?.release()
    }

    /// After a failure: removes the staging folder when it holds no finished work (a refused or
    /// failed start leaves nothing behind; finished folds stay for `resume`), and releases the lock.
    public func discard() {
        if !hasStagedFiles { try? FileManager.default.removeItem(atPath: stagingPath) }
        lock?.release()
    }

    // MARK: - Reading runs

    /// Encodes `value` as JSON and writes it atomically.
    public static func writeJSON<Value: Encodable>(_ value: Value, path: String) throws(RunError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw RunError.io(DataError.writeFailed(path: path, reason: "cannot encode JSON: \(error)"))
        }
        do { try AtomicFile.write(Array(data) + [0x0A], to: path) } catch { throw RunError.io(error) }
    }

    /// Reads and decodes the JSON file `name` of the finished run at `runPath`.
    public static func readJSON<Value: Decodable>(_ type: Value.Type, runPath: String, name: String) throws(RunError) -> Value {
        let path = runPath + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            if !FileManager.default.fileExists(atPath: runPath) {
                throw RunError.notARun(path: runPath, reason: "the folder does not exist")
            }
            throw RunError.corruptRun(path: path, reason: "the file is missing; was the run copied whole?")
        }
        let bytes: [UInt8]
        do { bytes = try readFile(path: path) } catch { throw RunError.io(error) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(Value.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw RunError.corruptRun(path: path, reason: "field \"\(key.stringValue.snakeCased)\" is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map { $0.stringValue.snakeCased }.joined(separator: ".")
            throw RunError.corruptRun(path: path, reason: "field \"\(field)\": \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map { $0.stringValue.snakeCased }.joined(separator: ".")
            throw RunError.corruptRun(
                path: path, reason: field.isEmpty ? "not valid JSON" : "field \"\(field)\": \(context.debugDescription)")
        } catch {
            throw RunError.corruptRun(path: path, reason: "\(error)")
        }
    }

    /// Reads a finished run's config, checks that this version can use it, and checks every
    /// file it lists against its SHA-256.
    public static func readConfig(runPath: String) throws(RunError) -> RunConfig {
        if FileManager.default.fileExists(atPath: runPath + ".partial") && !FileManager.default.fileExists(atPath: runPath) {
            throw RunError.notARun(path: runPath, reason: "only \(runPath).partial exists: that run did not finish")
        }
        // The version and the kind first: a run of a newer format or an unknown kind is named as
        // such, not as a damaged file.
        struct Header: Decodable {
            var formatVersion: Int
            var arenaVersion: String
            var model: String
        }
        let header = try readJSON(Header.self, runPath: runPath, name: "config.json")
        guard readableFormatVersions.contains(header.formatVersion) else {
            throw RunError.incompatibleRun(
                path: runPath + "/config.json",
                reason: "written in run format \(header.formatVersion) by arena \(header.arenaVersion); this arena reads formats "
                    + "\(readableFormatVersions.lowerBound) to \(readableFormatVersions.upperBound)")
        }
        guard RunKind(rawValue: header.model) != nil else {
            throw RunError.incompatibleRun(path: runPath + "/config.json", reason: "model \"\(header.model)\" is not one this arena knows")
        }
        let config = try readJSON(RunConfig.self, runPath: runPath, name: "config.json")
        if let files = config.files { try RunManifest.verify(runPath: runPath, files: files) }
        return config
    }

    /// `path` with symbolic links and "." / ".." resolved, when it exists.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
