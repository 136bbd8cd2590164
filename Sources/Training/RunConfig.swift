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
    /// creation time must match.
    public func canResume(as other: RunConfig) -> Bool {
        var mine = self
        mine.createdAt = other.createdAt
        return mine == other
    }
}

/// This build's version, written into every run.
public let arenaVersionString = "0.1.0"

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
