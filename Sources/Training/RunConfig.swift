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

    public init(
        formatVersion: Int = RunFolder.formatVersion, arenaVersion: String = arenaVersionString, model: String, data: String,
        rows: Int, folds: Int, seed: UInt64, createdAt: String
    ) {
        self.formatVersion = formatVersion
        self.arenaVersion = arenaVersion
        self.model = model
        self.data = data
        self.rows = rows
        self.folds = folds
        self.seed = seed
        self.createdAt = createdAt
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
}
