import ArenaData
import Evaluation
import Foundation
import Testing

@testable import FeatureModels
@testable import Finetuning
@testable import Pipelines
@testable import Prediction
@testable import Runs

/// Small labelled battles from the synthetic generator (its labels follow a hidden rule).
private func syntheticBattles(_ count: Int, seed: UInt64 = 1) -> [Battle] {
    let generator = SyntheticBattleGenerator(seed: seed)
    return (0..<count).map { generator.row(index: $0).battle }
}

private func temporaryRun() throws -> RunFolder {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-fm-\(UUID().uuidString)").path
    return try RunFolder.begin(
        at: path, config: RunConfig(kind: .linear, data: "memory", rows: 0, folds: 2, seed: 0, createdAt: ""), overwrite: false,
        resume: false)
}

@Suite(.serialized) struct FeatureModelTests {
    /// P_A(x) = P_B(swap x) and P_tie(x) = P_tie(swap x), exactly, for every row, with the
    /// trained fold models, the temperature and the edge-case rules all applied.
    @Test(arguments: [FeatureModelSettings.Kind.linear, .gbdt])
    func predictionsAreSwapConsistent(kind: FeatureModelSettings.Kind) throws {
        let battles = syntheticBattles(300)
        var settings = FeatureModelSettings.defaults(for: kind)
        settings.rounds = 40
        let run = try temporaryRun()
        let result = try FeatureModelTraining.crossValidate(
            battles: battles, folds: 3, seed: 0, settings: settings, run: run, resume: false, progress: { _ in })
        try run.writeJSON(result.artifact, to: "model.json")
        var test = syntheticBattles(60, seed: 9)
        // Edge cases too: identical and empty responses.
        test[0].responseB = test[0].responseA
        test[1].responseA = [""]
        let direct = try FeatureModelTraining.predict(battles: test, artifact: result.artifact, runPath: run.stagingPath)
        let swapped = try FeatureModelTraining.predict(
            battles: test.map(\.swapped), artifact: result.artifact, runPath: run.stagingPath)
        for (forward, backward) in zip(direct, swapped) {
            #expect(forward[0] == backward[1])
            #expect(forward[1] == backward[0])
            #expect(forward[2] == backward[2])
            #expect(abs(forward.reduce(0, +) - 1) < 1e-6)
        }
        // The synthetic labels are learnable: the model beats the class prior out of fold.
        let labels = battles.map { $0.winner!.rawValue }
        let prior = try Metrics.classPrior(labels: labels)
        let priorLoss = try Metrics.logLoss(probabilities: Array(repeating: prior, count: labels.count), labels: labels)
        #expect(result.metrics.oofLogLoss < priorLoss - 0.02, "\(result.metrics.oofLogLoss) vs prior \(priorLoss)")
    }

    /// A run interrupted after some folds resumes from their checkpoints and gives the same
    /// out-of-fold predictions as an uninterrupted run.
    @Test func resumesFromFinishedFolds() throws {
        let battles = syntheticBattles(200)
        var settings = FeatureModelSettings.defaults(for: .linear)
        settings.rounds = 30
        let run = try temporaryRun()
        let first = try FeatureModelTraining.crossValidate(
            battles: battles, folds: 4, seed: 3, settings: settings, run: run, resume: false, progress: { _ in })
        // Lose the last two folds, as a kill during fold 3 would.
        for fold in 2..<4 {
            try FileManager.default.removeItem(atPath: run.file(FeatureModelTraining.checkpointName(fold: fold)))
        }
        var resumed: [TrainingProgress.Stage] = []
        let second = try FeatureModelTraining.crossValidate(
            battles: battles, folds: 4, seed: 3, settings: settings, run: run, resume: true,
            progress: { event in if event.detail == "resumed from checkpoint" { resumed.append(event.stage) } })
        #expect(resumed == [.fold(0, of: 4), .fold(1, of: 4)])
        #expect(resumed.map(\.description) == ["fold 1/4", "fold 2/4"])
        #expect(second.outOfFold == first.outOfFold)
        #expect(second.metrics.oofLogLoss == first.metrics.oofLogLoss)
        #expect(second.history == first.history)
        #expect(first.history.count == 4 && first.history.allSatisfy { !$0.isEmpty })
        #expect(first.historyCSV.hasPrefix("fold,round,validation_log_loss\n0,1,"))
    }
}
