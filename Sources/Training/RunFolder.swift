import ArenaData
import Foundation

/// A training run kept as a folder a user can copy, inspect and predict from:
///
///     runs/NAME/
///       config.json    what was trained, on what, with which settings (`RunConfig`)
///       metrics.json   log loss per fold and out of fold (`RunMetrics`)
///       oof.csv        out-of-fold predictions: id, fold, label, three probabilities
///       model.json     the fitted model (format depends on the model kind)
///
/// The folder is built under a staging name (`NAME.partial`) and renamed into place only when
/// every file is written, so a killed run never leaves a folder that looks complete.
public struct RunFolder: Sendable {
    /// The folder's final path.
    public let path: String
    /// Where files are written until `commit()`.
    public let stagingPath: String

    /// The version of the folder layout; a folder written by another version is refused.
    public static let formatVersion = 1

    /// Prepares a new run at `path`. Throws if a run already exists there, unless `overwrite`.
    /// With `resume`, the staging folder of an interrupted run is kept (its finished folds are
    /// used again); otherwise it is cleared.
    public static func create(at path: String, overwrite: Bool, resume: Bool = false) throws(TrainingError) -> RunFolder {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard !trimmed.isEmpty else { throw TrainingError.invalidSetting("--out must name a folder") }
        let manager = FileManager.default
        if manager.fileExists(atPath: trimmed) && !overwrite {
            throw TrainingError.runExists(path: trimmed)
        }
        let staging = trimmed + ".partial"
        if !resume { try? manager.removeItem(atPath: staging) }
        do {
            try manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.io(DataError.writeFailed(path: staging, reason: error.localizedDescription))
        }
        return RunFolder(path: trimmed, stagingPath: staging)
    }

    /// The staging path of a file in the run.
    public func file(_ name: String) -> String { stagingPath + "/" + name }

    /// Writes `value` as pretty-printed JSON (sorted keys) into the run.
    public func writeJSON<Value: Encodable>(_ value: Value, to name: String) throws(TrainingError) {
        try RunFolder.writeJSON(value, path: file(name))
    }

    /// Writes `text` into the run.
    public func write(_ text: String, to name: String) throws(TrainingError) {
        do { try AtomicFile.write(text, to: file(name)) } catch { throw TrainingError.io(error) }
    }

    /// Whether the staging folder holds files from an interrupted run.
    public var hasStagedFiles: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: stagingPath)) ?? []).isEmpty == false
    }

    /// Moves the finished run into place, replacing an older run at the same path.
    public func commit() throws(TrainingError) {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            do { try manager.removeItem(atPath: path) } catch {
                throw TrainingError.io(DataError.writeFailed(path: path, reason: error.localizedDescription))
            }
        }
        do { try manager.moveItem(atPath: stagingPath, toPath: path) } catch {
            throw TrainingError.io(DataError.writeFailed(path: path, reason: error.localizedDescription))
        }
    }

    // MARK: - Reading runs

    /// Encodes `value` as JSON and writes it atomically.
    public static func writeJSON<Value: Encodable>(_ value: Value, path: String) throws(TrainingError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw TrainingError.io(DataError.writeFailed(path: path, reason: "cannot encode JSON: \(error)"))
        }
        do { try AtomicFile.write(Array(data) + [0x0A], to: path) } catch { throw TrainingError.io(error) }
    }

    /// Reads and decodes the JSON file `name` of the finished run at `runPath`.
    public static func readJSON<Value: Decodable>(_ type: Value.Type, runPath: String, name: String) throws(TrainingError) -> Value {
        let path = runPath + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            if !FileManager.default.fileExists(atPath: runPath) {
                throw TrainingError.notARun(path: runPath, reason: "the folder does not exist")
            }
            throw TrainingError.corruptRun(path: path, reason: "the file is missing; was the run copied whole?")
        }
        let bytes: [UInt8]
        do { bytes = try readFile(path: path) } catch { throw TrainingError.io(error) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(Value.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw TrainingError.corruptRun(path: path, reason: "field \"\(key.stringValue.snakeCased)\" is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map { $0.stringValue.snakeCased }.joined(separator: ".")
            throw TrainingError.corruptRun(path: path, reason: "field \"\(field)\": \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            let field = context.codingPath.map { $0.stringValue.snakeCased }.joined(separator: ".")
            throw TrainingError.corruptRun(
                path: path, reason: field.isEmpty ? "not valid JSON" : "field \"\(field)\": \(context.debugDescription)")
        } catch {
            throw TrainingError.corruptRun(path: path, reason: "\(error)")
        }
    }

    /// Reads a finished run's config and checks that this version can use it.
    public static func readConfig(runPath: String) throws(TrainingError) -> RunConfig {
        if FileManager.default.fileExists(atPath: runPath + ".partial") && !FileManager.default.fileExists(atPath: runPath) {
            throw TrainingError.notARun(path: runPath, reason: "only \(runPath).partial exists: that run did not finish")
        }
        let config = try readJSON(RunConfig.self, runPath: runPath, name: "config.json")
        guard config.formatVersion == formatVersion else {
            throw TrainingError.incompatibleRun(
                path: runPath + "/config.json",
                reason: "written in run format \(config.formatVersion) by arena \(config.arenaVersion); this arena reads format \(formatVersion)")
        }
        return config
    }
}

extension String {
    /// "formatVersion" -> "format_version", to name JSON fields as they appear in the files.
    var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
