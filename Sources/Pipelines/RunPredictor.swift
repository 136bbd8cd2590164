import ArenaData
import Foundation
import FeatureModels
import Features
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
    private let device: Device
    /// The encoder of a run with embedding features, loaded on first use.
    private var embedder: BattleEmbedder?
    private let embedderLock = NSLock()

    /// How a run with embedding features embeds the battles it predicts (from
    /// `settings.embeddings`); nil for other runs.
    public var embeddingSource: EmbeddingSource? {
        guard case let .features(artifact, _) = model else { return nil }
        return artifact.settings.embeddings?.source
    }

    enum Model {
        case prior(PriorRunModel)
        case features(FeatureModelArtifact, stacked: [RunPredictor])
        case finetuned(FinetunedModel)
        case ensemble(EnsembleArtifact, [RunPredictor])
    }

    /// Reads the run at `runPath` (its config, model.json and fold models); `device` is where a
    /// fine-tuned run's models run.
    public init(runPath: String, device: Device = .cpu) throws {
        self.runPath = runPath
        self.device = device
        config = try RunFolder.readConfig(runPath: runPath)
        switch config.kind {
        case .prior:
            let prior = try RunFolder.readJSON(PriorRunModel.self, runPath: runPath, name: "model.json")
            guard !prior.folds.isEmpty, prior.folds.allSatisfy({ $0.probabilities.count == Winner.allCases.count }) else {
                throw RunError.corruptRun(path: runPath + "/model.json", reason: "expected one 3-class prior per fold")
            }
            model = .prior(prior)
        case .gbdt, .linear:
            let artifact = try RunFolder.readJSON(FeatureModelArtifact.self, runPath: runPath, name: "model.json")
            // Stacked runs are held in the run's folder (`stack/K-NAME`).
            let stack = try config.featureModelSettings(runPath: runPath)?.stack ?? []
            if let outside = stack.first(where: { $0.folder.hasPrefix("/") || $0.folder.split(separator: "/").contains("..") }) {
                throw RunError.corruptRun(path: runPath + "/config.json", reason: "stacked run \"\(outside.folder)\" is outside the run's folder")
            }
            guard stack.count == artifact.featurizer.stackedRuns ?? 0 else {
                throw RunError.corruptRun(
                    path: runPath + "/model.json", reason: "the model takes \(artifact.featurizer.stackedRuns ?? 0) stacked runs; config.json lists \(stack.count)")
            }
            model = .features(artifact, stacked: try stack.map { try RunPredictor(runPath: runPath + "/" + $0.folder, device: device) })
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
    /// number of battles per forward pass. A run with embedding features takes the battles'
    /// `embeddings` (checked against the battles and the run's encoder) or, without them, embeds
    /// the battles with the encoder and settings it recorded.
    public func predict(
        _ battles: [Battle], batchSize: Int? = nil, embeddings: EmbeddingFile? = nil, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [WinnerProbabilities] {
        if let embeddings, embeddingSource == nil { throw EmbeddingInputError.notUsed(path: embeddings.path, runPath: runPath) }
        switch model {
        case .prior(let prior):
            return Ensemble.mean(prior.folds.map { $0.predict(battles) })
        case let .features(artifact, stackedRuns):
            var vectors: BattleEmbeddings?
            if let source = artifact.settings.embeddings?.source {
                vectors = try self.embeddings(of: battles, given: embeddings, source: source)
            }
            let stacked = try stackedRuns.map { try $0.predict(battles, batchSize: batchSize) }
            return try FeatureModelTraining.predict(
                battles: battles, embeddings: vectors, stacked: stacked, artifact: artifact, runPath: runPath)
        case .finetuned(let finetuned):
            return try finetuned.predict(battles, batchSize: batchSize, progress: progress)
        case let .ensemble(artifact, members):
            let blended = Ensemble.weightedMean(try members.map { try $0.predict(battles, batchSize: batchSize) }, weights: artifact.weights)
            return artifact.temperature?.apply(blended) ?? blended
        }
    }
}

extension RunPredictor {
    /// The embeddings of `battles` for a run whose embeddings came from `source`: `file` checked
    /// against both, or computed with the recorded encoder (loaded once per predictor).
    fileprivate func embeddings(of battles: [Battle], given file: EmbeddingFile?, source: EmbeddingSource) throws -> BattleEmbeddings {
        if let file {
            try file.check(encoder: source, runPath: runPath)
            try file.check(battles: battles, data: "the battles to predict")
            return file.embeddings
        }
        if battles.isEmpty { return try BattleEmbeddings(rows: 0, width: source.width, prompt: [], responseA: [], responseB: []) }
        embedderLock.lock()
        defer { embedderLock.unlock() }
        if embedder == nil {
            guard let pooling = Pooling(rawValue: source.pooling), let precision = Precision(rawValue: source.precision) else {
                throw EmbeddingInputError.encoderUnavailable(
                    model: source.model, reason: "pooling \(source.pooling) or precision \(source.precision) is not known to this build")
            }
            do {
                embedder = try BattleEmbedder(
                    model: source.model,
                    settings: .init(maxLength: source.maxLength, pooling: pooling, normalize: source.normalized, precision: precision, device: device))
            } catch {
                throw EmbeddingInputError.encoderUnavailable(model: source.model, reason: "\(error)")
            }
        }
        guard let embedder else { throw EmbeddingInputError.encoderUnavailable(model: source.model, reason: "it did not load") }
        return try embedder.embeddings(of: battles, like: source)
    }
}
