import ArenaData
import Features
import Foundation
import Testing

@testable import FeatureModels
@testable import Pipelines
@testable import Prediction
@testable import Runs

/// The feature model with embedding features: swap-consistent predictions, the columns and the
/// settings recorded, and refusals of embeddings that do not fit.
@Suite(.serialized) struct EmbeddingFeatureModelTests {
    static func battles(_ count: Int, seed: UInt64) -> [Battle] {
        let generator = SyntheticBattleGenerator(seed: seed)
        return (0..<count).map { generator.row(index: $0).battle }
    }

    /// Embeddings whose A - B difference carries the label a little (for learnability), random
    /// otherwise.
    static func embeddings(for battles: [Battle], width: Int, seed: UInt64) throws -> BattleEmbeddings {
        var random = SeededRandom(seed: seed)
        var prompt: [Float] = [], a: [Float] = [], b: [Float] = []
        for battle in battles {
            let signal: Float = battle.winner == .modelA ? 0.5 : battle.winner == .modelB ? -0.5 : 0
            for index in 0..<width {
                prompt.append(Float(random.nextGaussian()))
                a.append(Float(random.nextGaussian()) + (index == 0 ? signal : 0))
                b.append(Float(random.nextGaussian()) - (index == 0 ? signal : 0))
            }
        }
        return try BattleEmbeddings(rows: battles.count, width: width, prompt: prompt, responseA: a, responseB: b)
    }

    static func source(width: Int) -> EmbeddingSource {
        EmbeddingSource(
            model: "/models/m", modelType: "bert", pooling: "mean", maxLength: 64, normalized: true, precision: "float32", width: width,
            file: "e.safetensors", textsFingerprint: "0")
    }

    @Test(arguments: [(6, 0), (3, 6)])
    func predictionsAreSwapConsistent(difference: Int, prompt: Int) throws {
        let battles = Self.battles(240, seed: 1)
        let embeddings = try Self.embeddings(for: battles, width: 6, seed: 2)
        var settings = FeatureModelSettings.defaults(for: .linear)
        settings.rounds = 40
        settings.embeddings = EmbeddingSettings(
            features: .init(differenceColumns: difference, promptColumns: prompt), source: Self.source(width: 6))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-emb-\(UUID().uuidString)").path
        let run = try RunFolder.begin(
            at: path, config: RunConfig(kind: .linear, data: "memory", rows: 0, folds: 3, seed: 0, createdAt: ""), overwrite: false,
            resume: false)
        defer { run.discard() }
        let result = try FeatureModelTraining.crossValidate(
            battles: battles, embeddings: embeddings, folds: 3, seed: 0, settings: settings, run: run, resume: false, progress: { _ in })
        let featurizer = result.artifact.featurizer
        #expect(featurizer.featureNames.count == HandFeatures.count + 4 + difference + prompt)
        #expect(featurizer.featureNames[HandFeatures.count] == "emb_cos_a_prompt")
        #expect(featurizer.standardizer.means.count == HandFeatures.count + 4 + difference + prompt)
        #expect(result.importances.contains { $0.name.hasPrefix("emb_") })
        try run.writeJSON(result.artifact, to: "model.json")
        let test = Self.battles(50, seed: 9)
        let testEmbeddings = try Self.embeddings(for: test, width: 6, seed: 3)
        let direct = try FeatureModelTraining.predict(
            battles: test, embeddings: testEmbeddings, artifact: result.artifact, runPath: run.stagingPath)
        let swapped = try FeatureModelTraining.predict(
            battles: test.map(\.swapped), embeddings: testEmbeddings.swapped, artifact: result.artifact, runPath: run.stagingPath)
        for (forward, backward) in zip(direct, swapped) {
            #expect(forward[0] == backward[1])
            #expect(forward[1] == backward[0])
            #expect(forward[2] == backward[2])
        }
        // The artifact reads back with its embedding columns; without embeddings or with
        // another width, prediction is refused.
        let read = try RunFolder.readJSON(FeatureModelArtifact.self, runPath: run.stagingPath, name: "model.json")
        #expect(read.featurizer.embeddings == featurizer.embeddings)
        #expect(throws: TrainingError.self) {
            _ = try FeatureModelTraining.predict(battles: test, artifact: read, runPath: run.stagingPath)
        }
        let narrow = try Self.embeddings(for: test, width: 5, seed: 3)
        #expect(throws: TrainingError.self) {
            _ = try FeatureModelTraining.predict(battles: test, embeddings: narrow, artifact: read, runPath: run.stagingPath)
        }
    }

    /// With a stacked run's predictions (swap-consistent, carrying the label a little) as
    /// features: the columns follow the hand features, and predictions stay swap-consistent.
    @Test func stackedPredictionsAreSwapConsistent() throws {
        func member(_ battles: [Battle]) -> [WinnerProbabilities] {
            battles.map { battle in
                battle.winner == .modelA ? [0.45, 0.3, 0.25] : battle.winner == .modelB ? [0.3, 0.45, 0.25] : [0.3, 0.3, 0.4]
            }
        }
        let battles = Self.battles(240, seed: 1)
        var settings = FeatureModelSettings.defaults(for: .linear)
        settings.rounds = 40
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-stack-\(UUID().uuidString)").path
        let run = try RunFolder.begin(
            at: path, config: RunConfig(kind: .linear, data: "memory", rows: 0, folds: 3, seed: 0, createdAt: ""), overwrite: false,
            resume: false)
        defer { run.discard() }
        // (The hand features alone first: each cross-validation writes its fold models in the run.)
        let plain = try FeatureModelTraining.crossValidate(
            battles: battles, folds: 3, seed: 0, settings: settings, run: run, resume: false, progress: { _ in })
        let result = try FeatureModelTraining.crossValidate(
            battles: battles, stacked: [member(battles)], folds: 3, seed: 0, settings: settings, run: run, resume: false, progress: { _ in })
        #expect(result.artifact.featurizer.stackedRuns == 1)
        #expect(Array(result.artifact.featurizer.featureNames.suffix(3)) == ["stack_0_log_a", "stack_0_log_b", "stack_0_log_tie"])
        // A member that knows the label a little lowers the loss below the hand features' alone.
        #expect(result.metrics.oofLogLoss < plain.metrics.oofLogLoss)
        try run.writeJSON(result.artifact, to: "model.json")
        let test = Self.battles(50, seed: 9)
        let stacked = [test.indices.map { index -> WinnerProbabilities in [0.2 + 0.01 * Double(index % 7), 0.5, 0.3 - 0.01 * Double(index % 7)] }]
        let direct = try FeatureModelTraining.predict(battles: test, stacked: stacked, artifact: result.artifact, runPath: run.stagingPath)
        let swapped = try FeatureModelTraining.predict(
            battles: test.map(\.swapped), stacked: stacked.map { $0.map(\.swapped) }, artifact: result.artifact, runPath: run.stagingPath)
        for (forward, backward) in zip(direct, swapped) {
            #expect(forward[0] == backward[1])
            #expect(forward[1] == backward[0])
            #expect(forward[2] == backward[2])
        }
        #expect(throws: TrainingError.self) {
            _ = try FeatureModelTraining.predict(battles: test, artifact: result.artifact, runPath: run.stagingPath)
        }
    }

    /// The settings round-trip through config.json, and a run without embeddings writes no
    /// `embeddings` key (its files stay as before).
    @Test func settingsRecordTheSource() throws {
        var settings = FeatureModelSettings.defaults(for: .linear)
        var config = RunConfig(kind: .linear, data: "d.csv", rows: 1, folds: 2, seed: 0, createdAt: "")
        try config.setFeatureModelSettings(settings)
        #expect(!String(decoding: try JSONEncoder().encode(config), as: UTF8.self).contains("embeddings"))
        settings.embeddings = EmbeddingSettings(features: .init(differenceColumns: 6), source: Self.source(width: 6))
        try config.setFeatureModelSettings(settings)
        #expect(try config.featureModelSettings() == settings)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        #expect(String(decoding: try encoder.encode(config), as: UTF8.self).contains("\"texts_fingerprint\""))
    }
}
