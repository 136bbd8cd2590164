import ArenaData
import Evaluation
import Foundation
import Testing

@testable import FeatureModels
@testable import Finetuning
@testable import Pipelines
@testable import Prediction
@testable import Runs

private func battles(_ labels: [Winner]) -> [Battle] {
    labels.enumerated().map { Battle(id: "\($0.offset)", prompt: ["p"], responseA: ["a"], responseB: ["b"], winner: $0.element) }
}

@Suite struct ClassPriorTests {
    @Test func fitsLabelFrequencies() throws {
        let model = try ClassPriorModel(fitting: battles([.modelA, .modelA, .modelB, .tie]))
        #expect(model.probabilities == [0.5, 0.25, 0.25])
        #expect(model.predict(battles([.tie, .tie])) == [[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    }
}

@Suite struct CrossValidationTests {
    /// With a class prior, each row's out-of-fold prediction is the label share of the other
    /// folds, computed here by hand from the fold assignment.
    @Test func outOfFoldPredictionsComeFromTheOtherFolds() throws {
        let labels: [Winner] = (0..<50).map { [Winner.modelA, .modelB, .tie, .modelA][$0 % 4] }
        let rows = battles(labels)
        var fitted: [Int] = []
        let result = try CrossValidation.run(
            battles: rows, folds: 5, seed: 1,
            fit: { fold, training in
                fitted.append(fold)
                #expect(training.count == 40)
                return try ClassPriorModel(fitting: training)
            },
            predict: { model, heldOut in model.predict(heldOut) })
        #expect(fitted == [0, 1, 2, 3, 4])
        for row in rows.indices {
            let others = rows.indices.filter { result.folds[$0] != result.folds[row] }
            let expected = WinnerProbabilities { label in Double(others.filter { labels[$0] == label }.count) / Double(others.count) }
            #expect(result.outOfFold[row] == expected)
        }
        let expectedLoss = try Metrics.logLoss(probabilities: result.outOfFold, labels: labels.map(\.rawValue))
        #expect(result.metrics.oofLogLoss == expectedLoss)
        #expect(result.metrics.folds.map(\.rows) == [10, 10, 10, 10, 10])
    }

    @Test func outOfFoldCSVHasOneRowPerBattle() {
        let rows = battles([.modelA, .tie])
        let csv = CrossValidation.outOfFoldCSV(battles: rows, folds: [1, 0], predictions: [[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])
        #expect(csv == "id,fold,label,winner_model_a,winner_model_b,winner_tie\n0,1,model_a,0.5,0.25,0.25\n1,0,tie,0.1,0.2,0.7\n")
    }
}

@Suite struct RunFolderTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("arena-run-\(UUID().uuidString)").path
    }

    @Test func appearsOnlyWhenCommitted() throws {
        let path = temporaryPath()
        let config = RunConfig(kind: .prior, data: "d.csv", rows: 3, folds: 2, seed: 0, createdAt: "")
        let run = try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
        try run.writeJSON(ClassPriorModel(probabilities: [0.4, 0.4, 0.2]), to: "model.json")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: RunError.self) { try RunFolder.readConfig(runPath: path) }
        try run.commit(config: config)
        #expect(FileManager.default.fileExists(atPath: path + "/model.json"))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        let model = try RunFolder.readJSON(ClassPriorModel.self, runPath: path, name: "model.json")
        #expect(model.probabilities == [0.4, 0.4, 0.2])
        #expect(throws: RunError.runExists(path: path)) {
            try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
        }
    }

    @Test func configFromAnotherFormatIsRefused() throws {
        let path = temporaryPath()
        var config = RunConfig(kind: .prior, data: "d.csv", rows: 3, folds: 2, seed: 0, createdAt: "")
        let run = try RunFolder.begin(at: path, config: config, overwrite: false, resume: false)
        try run.commit(config: config)
        config.formatVersion = RunFolder.formatVersion + 1
        try RunFolder.writeJSON(config, path: path + "/config.json")
        #expect {
            try RunFolder.readConfig(runPath: path)
        } throws: { error in
            (error as? RunError).map { "\($0)" }?.contains("run format \(RunFolder.formatVersion + 1)") == true
        }
    }

    @Test func missingFieldIsNamed() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try #"{"format_version": 1}"#.write(toFile: path + "/config.json", atomically: true, encoding: .utf8)
        #expect {
            try RunFolder.readConfig(runPath: path)
        } throws: { error in
            "\(error)".contains("config.json: the run file is damaged (field \"arena_version\" is missing)")
        }
    }
}
