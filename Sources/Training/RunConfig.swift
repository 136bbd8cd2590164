import Foundation

/// What a run was trained on and how; `config.json` in the run folder.
public struct RunConfig: Codable, Sendable, Equatable {
    /// The run folder layout version (`RunFolder.formatVersion`).
    public var formatVersion: Int
    /// The arena version that wrote the run.
    public var arenaVersion: String
    /// The model kind, such as "prior".
    public var model: String
    /// The training data file as given.
    public var data: String
    public var rows: Int
    public var folds: Int
    public var seed: UInt64
    /// When the run was written (ISO 8601).
    public var createdAt: String
    /// A digest of the training rows' ids and labels, to tell whether a run can be resumed.
    public var dataFingerprint: String?
    /// The feature model's settings (gbdt and linear runs).
    public var settings: FeatureModelSettings?
    /// The fine-tuning settings (pair and cross runs).
    public var finetune: FinetuneSettings?
    /// Every other file of the finished run (relative path) and its SHA-256, checked when the
    /// run is loaded; nil in a staging folder and in runs of format 1.
    public var files: [String: String]?

    public init(
        formatVersion: Int = RunFolder.formatVersion, arenaVersion: String = arenaVersionString, model: String, data: String,
        rows: Int, folds: Int, seed: UInt64, createdAt: String, dataFingerprint: String? = nil,
        settings: FeatureModelSettings? = nil, finetune: FinetuneSettings? = nil
    ) {
        self.formatVersion = formatVersion
        self.arenaVersion = arenaVersion
        self.model = model
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

/// The scores of a run; `metrics.json` in the run folder.
public struct RunMetrics: Codable, Sendable, Equatable {
    public struct Fold: Codable, Sendable, Equatable {
        public var fold: Int
        public var rows: Int
        public var logLoss: Double
        public var accuracy: Double
    }

    public var folds: [Fold]
    /// Log loss of all out-of-fold predictions together.
    public var oofLogLoss: Double
    public var oofAccuracy: Double
    public var oofExpectedCalibrationError: Double
    /// `[true class][predicted class]` over the out-of-fold predictions.
    public var oofConfusionMatrix: [[Int]]
    /// Out-of-fold log loss after each step of the model ("model", "calibrated", "edge cases").
    public var steps: [Step]?

    public struct Step: Codable, Sendable, Equatable {
        public var step: String
        public var logLoss: Double

        public init(step: String, logLoss: Double) {
            self.step = step
            self.logLoss = logLoss
        }
    }
}
