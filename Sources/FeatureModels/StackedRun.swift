import Foundation

/// A finished run whose predictions a feature-model run takes as features (`settings.stack` in
/// config.json): copied into the run's folder, trained on the same rows and folds.
public struct StackedRun: Codable, Sendable, Equatable {
    /// The copy inside the run folder (relative path, `stack/K-NAME`).
    public var folder: String
    /// The run folder given, as an absolute path.
    public var source: String
    /// Its kind (`model` in its config.json).
    public var kind: String
    /// Its out-of-fold log loss.
    public var oofLogLoss: Double?

    public init(folder: String, source: String, kind: String, oofLogLoss: Double?) {
        self.folder = folder
        self.source = source
        self.kind = kind
        self.oofLogLoss = oofLogLoss
    }
}
