import ArenaData
import Foundation
import FeatureModels
import Finetuning
import Prediction
import Runs
import Models
import Torch

/// A finished run of any kind arena trains (prior, linear, gbdt, cross, pair, ensemble), loaded once to
/// predict battles: what `arena predict` uses, and what an application embedding arena calls.
///
///     let predictor = try RunPredictor(runPath: "runs/minilm")
///     let probabilities = try predictor.predict(battles)  // [[P(A), P(B), P(tie)]]
public final class RunPredictor {
    public let runPath: String
    public let config: RunConfig
    private let model: Model

    enum Model {
        case prior(PriorRunModel)
        case features(FeatureModelArtifact)
        case finetuned(FinetunedModel)
        case ensemble(EnsembleArtifact, [RunPredictor])
    }

    /// Reads the run at `runPath` (its config, model.json and fold models); `device` is where a
    /// fine-tuned run's models run.
    public init(runPath: String, device: Device = .cpu) throws {
        self.runPath = runPath
        config = try RunFolder.readConfig(runPath: runPath)
        switch config.kind {
        case .prior:
            let prior = try RunFolder.readJSON(PriorRunModel.self, runPath: runPath, name: "model.json")
            guard !prior.folds.isEmpty, prior.folds.allSatisfy({ $0.probabilities.count == Winner.allCases.count }) else {
                throw RunError.corruptRun(path: runPath + "/model.json", reason: "expected one 3-class prior per fold")
            }
            model = .prior(prior)
        case .gbdt, .linear:
            model = .features(try RunFolder.readJSON(FeatureModelArtifact.self, runPath: runPath, name: "model.json"))
        case .cross, .pair:
            let artifact = try RunFolder.readJSON(FinetuneArtifact.self, runPath: runPath, name: "model.json")
            model = .finetuned(try FinetunedModel(artifact: artifact, runPath: runPath, device: device))
        case .ensemble:
            let artifact = try RunFolder.readJSON(EnsembleArtifact.self, runPath: runPath, name: "model.json")
            guard artifact.members.count == artifact.weights.count, !artifact.members.isEmpty else {
                throw RunError.corruptRun(path: runPath + "/model.json", reason: "expected one weight per member run")
            }
            // Format 2 ensembles hold their members; format 1 named them by the paths given.
            if config.formatVersion >= 2,
                let outside = artifact.members.first(where: { $0.hasPrefix("/") || $0.split(separator: "/").contains("..") })
            {
                throw RunError.corruptRun(path: runPath + "/model.json", reason: "member \"\(outside)\" is outside the ensemble's folder")
            }
            let memberPaths = config.formatVersion >= 2 ? artifact.members.map { runPath + "/" + $0 } : artifact.members
            model = .ensemble(artifact, try memberPaths.map { try RunPredictor(runPath: $0, device: device) })
        }
    }

    /// P(A), P(B), P(tie) for each battle, in order. `batchSize` (fine-tuned runs) is the
    /// number of battles per forward pass.
    public func predict(_ battles: [Battle], batchSize: Int? = nil, progress: (Int, Int) -> Void = { _, _ in }) throws -> [WinnerProbabilities] {
        switch model {
        case .prior(let prior):
            return Ensemble.mean(prior.folds.map { $0.predict(battles) })
        case .features(let artifact):
            return try FeatureModelTraining.predict(battles: battles, artifact: artifact, runPath: runPath)
        case .finetuned(let finetuned):
            return try finetuned.predict(battles, batchSize: batchSize, progress: progress)
        case let .ensemble(artifact, members):
            let blended = Ensemble.weightedMean(try members.map { try $0.predict(battles, batchSize: batchSize) }, weights: artifact.weights)
            return artifact.temperature?.apply(blended) ?? blended
        }
    }
}
