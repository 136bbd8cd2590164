@testable import Boosting
import Foundation
import Testing

/// Swift against Python xgboost 1.7.4 on the same data and parameters (Fixtures/xgboost.json).
@Suite struct PythonParityTests {
    @Test func fixtureWasWrittenByThePinnedVersions() throws {
        let fixtures = try XGBoostFixtures.load()
        #expect(fixtures.versions["xgboost"] == "1.7.4")
        #expect(fixtures.versions["numpy"] == "1.26.4")
    }

    @Test(arguments: ["dense_hist", "csr_hist", "gblinear"])
    func parametersRenderAsPythonPassedThem(name: String) throws {
        let fixture = try XGBoostFixtures.load().fixtureCase(name)
        #expect(swiftParameters(forCase: name).dictionary == fixture.parameters)
    }

    @Test(arguments: ["dense_hist", "csr_hist", "gblinear"])
    func earlyStoppingMatchesPython(name: String) throws {
        let fixtures = try XGBoostFixtures.load()
        let fixture = try fixtures.fixtureCase(name)
        let (training, validation, all) = try fixtures.matrices(fixture.data)
        var reported: [Int] = []
        let trained = try Boosting.train(
            parameters: swiftParameters(forCase: name), training: training, validation: validation,
            rounds: fixture.rounds, earlyStoppingRounds: fixture.earlyStoppingRounds,
            onIteration: { iteration, _ in reported.append(iteration) })

        #expect(trained.bestIteration == fixture.bestIteration)
        #expect(trained.validationHistory == fixture.validationLoss)
        #expect(reported == Array(0..<fixture.validationLoss.count))
        #expect(try trained.booster.bestIteration == fixture.bestIteration)
        #expect(try trained.booster.attribute("best_score") == fixture.bestScore)
        // A tree model keeps every round; a linear one is restored to the best round.
        let expectedRounds = name == "gblinear" ? fixture.bestIteration + 1 : fixture.boostedRounds
        #expect(try trained.booster.boostedRounds == expectedRounds)

        let predictions = try trained.predict(all)
        #expect(predictions.count == fixtures.rows * 3)
        let difference = maximumDifference(predictions, fixture.predictionsAtBest)
        #expect(difference <= 1e-6, "largest difference from Python: \(difference)")
    }

    @Test(arguments: ["dense_hist", "csr_hist", "gblinear"])
    func predictionsFromEveryRoundMatchPython(name: String) throws {
        let fixtures = try XGBoostFixtures.load()
        let fixture = try fixtures.fixtureCase(name)
        let (training, validation, all) = try fixtures.matrices(fixture.data)
        // The same rounds Python trained before it stopped, without stopping early.
        let trained = try Boosting.train(
            parameters: swiftParameters(forCase: name), training: training, validation: validation,
            rounds: fixture.boostedRounds)
        #expect(trained.bestIteration == fixture.boostedRounds - 1)
        #expect(trained.validationHistory == fixture.validationLoss)
        #expect(try trained.booster.attribute("best_iteration") == nil)
        let difference = maximumDifference(try trained.booster.predict(all), fixture.predictionsAllRounds)
        #expect(difference <= 1e-6, "largest difference from Python: \(difference)")
    }

    @Test func modelWrittenByPythonLoadsAndPredicts() throws {
        let fixtures = try XGBoostFixtures.load()
        let fixture = try fixtures.fixtureCase("gblinear")
        let booster = try Booster(jsonModel: Array(try #require(fixture.modelJSON).utf8))
        #expect(try booster.bestIteration == fixture.bestIteration)
        #expect(try booster.boostedRounds == fixture.boostedRounds)
        let all = try fixtures.matrix("dense", rows: 0..<fixtures.rows)
        let difference = maximumDifference(try booster.predict(all), fixture.predictionsAllRounds)
        #expect(difference <= 1e-6, "largest difference from Python: \(difference)")
    }

    @Test func gainScoresMatchPythonWithNames() throws {
        let fixtures = try XGBoostFixtures.load()
        let fixture = try fixtures.fixtureCase("dense_hist")
        let expected = try #require(fixture.gain)
        let (training, validation, _) = try fixtures.matrices("dense")
        let trained = try Boosting.train(
            parameters: swiftParameters(forCase: fixture.name), training: training, validation: validation,
            rounds: fixture.rounds, earlyStoppingRounds: fixture.earlyStoppingRounds)
        let scores = try trained.booster.featureScores(type: .gain, featureNames: fixtures.featureNames)
        #expect(Set(scores.map(\.name)) == Set(expected.keys))
        for score in scores {
            let reference = try #require(expected[score.name])
            #expect(score.scores.count == 1)
            #expect(abs(Float(score.scores[0]) - reference) <= 1e-6 * reference, "\(score.name)")
        }
        let unnamed = try trained.booster.featureScores(type: .weight)
        #expect(unnamed.allSatisfy { $0.name.hasPrefix("f") && $0.scores.count == 1 && $0.scores[0] >= 1 })
    }

    @Test func linearWeightsComeOnePerClass() throws {
        let fixtures = try XGBoostFixtures.load()
        let (training, _, _) = try fixtures.matrices("dense")
        let trained = try Boosting.train(parameters: swiftParameters(forCase: "gblinear"), training: training, rounds: 3)
        let weights = try trained.booster.featureScores(type: .weight, featureNames: fixtures.featureNames)
        #expect(weights.map(\.name) == fixtures.featureNames)
        #expect(weights.allSatisfy { $0.scores.count == 3 })
    }
}

@Suite struct ModelFileTests {
    /// A small tree model trained on the fixture data, and the rows to predict.
    private func trainedModel() throws -> (TrainedBooster, DMatrix) {
        let fixtures = try XGBoostFixtures.load()
        let (training, validation, all) = try fixtures.matrices("dense")
        let trained = try Boosting.train(
            parameters: swiftParameters(forCase: "dense_hist"), training: training, validation: validation,
            rounds: 30, earlyStoppingRounds: 5)
        return (trained, all)
    }

    @Test func jsonModelRoundTripsPredictionsAndAttributes() throws {
        let (trained, all) = try trainedModel()
        let bytes = try trained.booster.jsonModel()
        #expect(bytes.first == UInt8(ascii: "{"))
        let loaded = try Booster(jsonModel: bytes)
        #expect(try loaded.boostedRounds == trained.booster.boostedRounds)
        #expect(try loaded.bestIteration == trained.bestIteration)
        #expect(try loaded.predict(all, iterationRange: trained.iterationRange) == trained.predict(all))
        #expect(try loaded.predict(all) == trained.booster.predict(all))
        #expect(try loaded.jsonModel() == bytes)
    }

    @Test func saveAndLoadAFile() throws {
        let (trained, all) = try trainedModel()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.json"
        try trained.booster.save(to: path)
        try trained.booster.save(to: path)  // Replaces the file.
        let loaded = try Booster(contentsOf: path)
        #expect(try loaded.predict(all, iterationRange: trained.iterationRange) == trained.predict(all))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.json"])
    }

    @Test func unreadableModelFilesNameTheFile() throws {
        let (trained, _) = try trainedModel()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bytes = try trained.booster.jsonModel()
        let contents: [String: [UInt8]] = [
            "truncated.json": Array(bytes.prefix(bytes.count / 2)),
            "empty.json": [],
            "garbage.bin": Array("this is not a model at all, just some text".utf8),
            "not-an-object.json": Array("[1, 2, 3]".utf8),
        ]
        for (name, data) in contents {
            let path = folder + "/" + name
            try Data(data).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: BoostingError.self) { try Booster(contentsOf: path) }
            guard case .io(let errorPath, let reason) = error else {
                Issue.record("expected .io for \(name), got \(String(describing: error))")
                continue
            }
            #expect(errorPath == path)
            #expect(!reason.isEmpty)
        }
        let missing = folder + "/missing.json"
        #expect(throws: BoostingError.io(path: missing, reason: "cannot open the file: No such file or directory")) {
            try Booster(contentsOf: missing)
        }
        #expect(throws: BoostingError.io(path: folder, reason: "cannot read the file: Is a directory")) {
            try Booster(contentsOf: folder)
        }
        #expect(throws: BoostingError.io(path: folder + "/empty.json", reason: "the file is empty, not an XGBoost model")) {
            try Booster(contentsOf: folder + "/empty.json")
        }
    }

    @Test func unwritablePathsFailWithThePathAndReason() throws {
        let (trained, _) = try trainedModel()
        let path = "/nonexistent-folder-\(UUID().uuidString)/model.json"
        #expect(throws: BoostingError.io(path: path, reason: "cannot create a temporary file beside it: No such file or directory")) {
            try trained.booster.save(to: path)
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Renaming a file over a folder fails, and the temporary file is removed.
        let error = #expect(throws: BoostingError.self) { try trained.booster.save(to: folder) }
        #expect(error?.description.hasPrefix(folder + ": cannot rename") == true, "\(String(describing: error))")
        let parent = (folder as NSString).deletingLastPathComponent, name = (folder as NSString).lastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.hasPrefix(name + ".tmp") }.isEmpty)
    }

    @Test func attributesAreSetReadAndDeleted() throws {
        let booster = try Booster()
        #expect(try booster.attribute("note") == nil)
        try booster.setAttribute("note", "fold 3")
        #expect(try booster.attribute("note") == "fold 3")
        try booster.setAttribute("note", nil)
        #expect(try booster.attribute("note") == nil)
    }
}

@Suite struct ErrorTests {
    private func expectXGBoostError(
        _ body: () throws -> Void, messageContains text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: BoostingError.self, sourceLocation: sourceLocation) { try body() }
        guard case .xgboost(_, let message) = error else {
            Issue.record("expected .xgboost, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(message.contains(text), "XGBoost said: \(message)", sourceLocation: sourceLocation)
    }

    private func smallTrainingSet() throws -> DMatrix {
        let fixtures = try XGBoostFixtures.load()
        return try fixtures.matrix("dense", rows: 0..<50)
    }

    @Test func denseArrayOfTheWrongLength() {
        #expect(throws: BoostingError.invalidInput("a 2 x 3 dense matrix needs 2 * 3 values, got 5")) {
            try DMatrix(dense: [1, 2, 3, 4, 5], rows: 2, columns: 3)
        }
        #expect(throws: BoostingError.self) { try DMatrix(dense: [], rows: 0, columns: 3) }
    }

    @Test func inconsistentCSRArrays() {
        #expect(throws: BoostingError.invalidInput("CSR column index 3 at entry 1 is not below 3 columns")) {
            try DMatrix(csr: [0, 1, 2], columnIndices: [0, 3], values: [1, 2], columns: 3)
        }
        #expect(throws: BoostingError.invalidInput("CSR row offsets decrease at row 1: 2 > 1")) {
            try DMatrix(csr: [0, 2, 1, 2], columnIndices: [0, 1], values: [1, 2], columns: 3)
        }
        #expect(throws: BoostingError.self) { try DMatrix(csr: [0, 1, 3], columnIndices: [0, 1], values: [1, 2], columns: 3) }
        #expect(throws: BoostingError.self) { try DMatrix(csr: [0, 1, 2], columnIndices: [0, 1], values: [1], columns: 3) }
    }

    @Test func csrRowsKeepTheirShapeAndMissingEntries() throws {
        // Row 0: x0 = 1; row 1: empty; row 2: x2 = 3.
        let matrix = try DMatrix(csr: [0, 1, 1, 2], columnIndices: [0, 2], values: [1, 3], columns: 3)
        #expect(matrix.rows == 3 && matrix.columns == 3)
        try matrix.setLabels([0, 1, 2])
        #expect(try matrix.labels() == [0, 1, 2])
        #expect(throws: BoostingError.invalidInput("label: expected one value per row (3), got 2")) {
            try matrix.setLabels([0, 1])
        }
        try matrix.setWeights([1, 2, 1])
    }

    @Test func invalidParameterValueFailsWithXGBoostsMessage() throws {
        let training = try smallTrainingSet()
        var parameters = BoosterParameters(threadCount: 1)
        parameters.extra["max_depth"] = "abc"
        expectXGBoostError({ _ = try Boosting.train(parameters: parameters, training: training, rounds: 1) },
                           messageContains: "max_depth")
    }

    @Test func unknownObjectiveFailsWithXGBoostsMessage() throws {
        let training = try smallTrainingSet()
        let parameters = BoosterParameters(objective: "nonsense", threadCount: 1)
        expectXGBoostError({ _ = try Boosting.train(parameters: parameters, training: training, rounds: 1) },
                           messageContains: "nonsense")
    }

    @Test func labelsOutsideTheClassesFailInXGBoost() throws {
        let training = try DMatrix(dense: [0, 1, 2, 3], rows: 4, columns: 1)
        try training.setLabels([0, 1, 2, 7])
        let error = #expect(throws: BoostingError.self) {
            try Boosting.train(parameters: BoosterParameters(threadCount: 1), training: training, rounds: 1)
        }
        #expect(error.map { if case .xgboost = $0 { true } else { false } } == true, "\(String(describing: error))")
    }

    @Test func badTrainingArguments() throws {
        let training = try smallTrainingSet()
        #expect(throws: BoostingError.invalidInput("early stopping needs a validation set")) {
            try Boosting.train(parameters: BoosterParameters(), training: training, rounds: 5, earlyStoppingRounds: 2)
        }
        #expect(throws: BoostingError.invalidInput("rounds must be at least 1, got 0")) {
            try Boosting.train(parameters: BoosterParameters(), training: training, rounds: 0)
        }
    }

    @Test func predictionRanges() throws {
        let training = try smallTrainingSet()
        let trained = try Boosting.train(parameters: BoosterParameters(threadCount: 1), training: training, rounds: 3)
        #expect(throws: BoostingError.self) { try trained.booster.predict(training, iterationRange: 2..<2) }
        expectXGBoostError({ _ = try trained.booster.predict(training, iterationRange: 0..<10) }, messageContains: "Invalid number of trees")
        let firstRound = try trained.booster.predict(training, iterationRange: 0..<1)
        let allRounds = try trained.booster.predict(training)
        #expect(firstRound.count == allRounds.count && firstRound != allRounds)
    }

    @Test func featureNamesMustCoverEveryColumn() throws {
        let training = try smallTrainingSet()
        let trained = try Boosting.train(parameters: BoosterParameters(threadCount: 1), training: training, rounds: 2)
        #expect(throws: BoostingError.invalidInput("got 2 feature names for a model of 8 features")) {
            try trained.booster.featureScores(featureNames: ["a", "b"])
        }
    }
}

@Suite struct EvaluationAndParameterTests {
    @Test func evaluateNamesEachSetAndMetric() throws {
        let fixtures = try XGBoostFixtures.load()
        let (training, validation, _) = try fixtures.matrices("dense")
        var parameters = BoosterParameters(threadCount: 1)
        parameters.extra["eval_metric"] = "merror"
        let booster = try Booster(parameters: parameters, cachedMatrices: [training, validation])
        try booster.setParameter("eval_metric", "mlogloss")  // A second metric, as XGBoost appends.
        try booster.updateOneIteration(0, training: training)
        let results = try booster.evaluate(iteration: 0, sets: [("train", training), ("valid", validation)])
        #expect(Set(results.keys) == ["train-merror", "train-mlogloss", "valid-merror", "valid-mlogloss"])
        #expect(results.values.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test func parsesXGBoostsEvaluationLine() throws {
        let parsed = try #require(Booster.parseEvaluation("[12]\ttrain-mlogloss:0.5\tvalid-set-mlogloss:1.0921"))
        #expect(parsed.map(\.key) == ["train-mlogloss", "valid-set-mlogloss"])
        #expect(parsed.map(\.value) == [0.5, 1.0921])
        #expect(Booster.parseEvaluation("valid-mlogloss:1") == nil)
        #expect(Booster.parseEvaluation("[0]\tvalid-mlogloss:abc") == nil)
    }

    @Test func earlyStoppingDirection() {
        #expect(!Boosting.maximizes(metricKey: "valid-mlogloss"))
        #expect(Boosting.maximizes(metricKey: "valid-auc"))
        #expect(Boosting.maximizes(metricKey: "valid-ndcg@3"))
        #expect(!Boosting.maximizes(metricKey: "valid-mape"))
        var stopping = EarlyStopping(patience: 2, maximize: false)
        // Equal is no improvement; two rounds without one stop.
        let improved = [1.0, 1.0, 0.9, 0.95, 0.91].enumerated().map { stopping.record($1, iteration: $0) }
        #expect(improved == [true, false, true, false, false])
        #expect(stopping.shouldStop)
        #expect(stopping.bestIteration == 2)
    }

    @Test func parametersCodeUnderXGBoostNames() throws {
        let parameters = BoosterParameters(learningRate: 0.05, maxDepth: 3, threadCount: 2, extra: ["max_bin": "64"])
        let data = try JSONEncoder().encode(parameters)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["eta"] as? Double == 0.05)
        #expect(object["max_depth"] as? Int == 3)
        #expect(object["nthread"] as? Int == 2)
        #expect(try JSONDecoder().decode(BoosterParameters.self, from: data) == parameters)
        // Keys left out take the defaults.
        let partial = try JSONDecoder().decode(BoosterParameters.self, from: Data(#"{"booster": "gblinear", "eta": 0.5}"#.utf8))
        #expect(partial == BoosterParameters(booster: .gblinear, learningRate: 0.5))
        #expect(partial.dictionary["updater"] == "coord_descent" && partial.dictionary["max_depth"] == nil)
        #expect(partial.dictionary["nthread"] == nil)
        #expect(parameters.dictionary["max_bin"] == "64")
    }
}
