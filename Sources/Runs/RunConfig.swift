import ArenaData
import Foundation
import Prediction

/// The kinds of run arena trains; `model` in config.json.
public enum RunKind: String, Codable, Sendable, CaseIterable {
    /// The class frequencies of the training labels.
    case prior
    /// XGBoost `gblinear` on the hand features (and an optional hashed TF-IDF).
    case linear
    /// XGBoost `hist` trees on the hand features (and an optional hashed TF-IDF).
    case gbdt
    /// A fine-tuned cross-encoder: prompt, response A and response B in one sequence.
    case cross
    /// A fine-tuned shared-weight pair model: (prompt, A) and (prompt, B) through one encoder.
    case pair
    /// A weighted blend of other runs.
    case ensemble
}

/// What a run was trained on and how; `config.json` in the run folder.
public struct RunConfig: Codable, Sendable, Equatable {
    /// The run folder layout version (`RunFolder.formatVersion`).
    public var formatVersion: Int
    /// The arena version that wrote the run.
    public var arenaVersion: String
    /// The kind of model (`model` in config.json).
    public var kind: RunKind
    /// The training data file as given.
    public var data: String
    public var rows: Int
    public var folds: Int
    public var seed: UInt64
    /// When the run was written (ISO 8601).
    public var createdAt: String
    /// A digest of the training rows' ids and labels, to tell whether a run can be resumed.
    public var dataFingerprint: String?
    /// The feature model's settings (gbdt and linear runs), as module FeatureModels writes and
    /// reads them.
    public var settings: SettingsJSON?
    /// The fine-tuning settings (pair and cross runs), as module Finetuning writes and reads them.
    public var finetune: SettingsJSON?
    /// Every other file of the finished run (relative path) and its SHA-256, checked when the
    /// run is loaded; nil in a staging folder and in runs of format 1.
    public var files: [String: String]?

    enum CodingKeys: String, CodingKey {
        case formatVersion, arenaVersion, kind = "model", data, rows, folds, seed, createdAt, dataFingerprint, settings, finetune, files
    }

    public init(
        formatVersion: Int = RunFolder.formatVersion, arenaVersion: String = arenaVersionString, kind: RunKind, data: String,
        rows: Int, folds: Int, seed: UInt64, createdAt: String, dataFingerprint: String? = nil,
        settings: SettingsJSON? = nil, finetune: SettingsJSON? = nil
    ) {
        self.formatVersion = formatVersion
        self.arenaVersion = arenaVersion
        self.kind = kind
        self.data = data
        self.rows = rows
        self.folds = folds
        self.seed = seed
        self.createdAt = createdAt
        self.dataFingerprint = dataFingerprint
        self.settings = settings
        self.finetune = finetune
    }

    /// Whether a staged run with this config can be resumed by `other`: everything but the
    /// creation time (and the file list of a finished run) must match.
    public func canResume(as other: RunConfig) -> Bool { differences(from: other).isEmpty }

    /// What differs between this config and `other`, ignoring the creation time and the file
    /// list: "settings.parameters.eta: 0.5 here, 0.3 there", field names as in config.json.
    public func differences(from other: RunConfig) -> [String] {
        var mine = self
        var theirs = other
        mine.createdAt = ""
        theirs.createdAt = ""
        mine.files = nil
        theirs.files = nil
        guard mine != theirs else { return [] }
        func flattened(_ config: RunConfig) -> [String: String] {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(config), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
            var result: [String: String] = [:]
            func visit(_ value: Any, _ path: String) {
                if let dictionary = value as? [String: Any] {
                    for (key, child) in dictionary { visit(child, path.isEmpty ? key : path + "." + key) }
                } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                    result[path] = String(decoding: data, as: UTF8.self)
                }
            }
            visit(object, "")
            return result
        }
        let left = flattened(mine)
        let right = flattened(theirs)
        let differences = Set(left.keys).union(right.keys).sorted().compactMap { key -> String? in
            let here = left[key] ?? "(none)"
            let there = right[key] ?? "(none)"
            return here == there ? nil : "\(key): \(here) in the staged run, \(there) now"
        }
        return differences.isEmpty ? ["the settings differ"] : differences
    }
}

/// This build's version, written into every run.
public let arenaVersionString = "0.2.0"

extension RunConfig {
    /// A digest (FNV-1a, hex) of the rows' ids and labels in order: two runs on the same rows
    /// have the same fingerprint.
    public static func fingerprint(of battles: [Battle]) -> String {
        var hash = FNV1a.offsetBasis
        func add(_ byte: UInt8) { hash = FNV1a.combine(hash, byte) }
        for battle in battles {
            for byte in battle.id.utf8 { add(byte) }
            add(0x1F)
            add(UInt8(battle.winner?.rawValue ?? 9))
            add(0x1E)
        }
        return String(hash, radix: 16)
    }
}

extension RunConfig {
    /// Decodes a model family's part of config.json (`settings` or `finetune`, given as
    /// `field`) as `Value`; nil when the run has none. A failure names config.json of `runPath`
    /// and the field as the file spells it.
    public static func decode<Value: Decodable>(
        _ type: Value.Type, from value: SettingsJSON?, field: String, runPath: String
    ) throws(RunError) -> Value? {
        guard let value else { return nil }
        let path = runPath + "/config.json"
        do {
            return try value.decode(Value.self)
        } catch let DecodingError.keyNotFound(key, context) {
            let parent = context.codingPath.map { $0.stringValue.snakeCased }
            throw RunError.corruptRun(path: path, reason: "field \"\(([field] + parent + [key.stringValue.snakeCased]).joined(separator: "."))\" is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context)
        {
            let name = ([field] + context.codingPath.map { $0.stringValue.snakeCased }).joined(separator: ".")
            throw RunError.corruptRun(path: path, reason: "field \"\(name)\": \(context.debugDescription)")
        } catch {
            throw RunError.corruptRun(path: path, reason: "field \"\(field)\": \(error)")
        }
    }
}
