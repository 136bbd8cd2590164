import ArenaData
import Evaluation
import Foundation
import Testing

/// `actual` equals `expected` within `tolerance` relative (absolute 1e-15 near zero).
private func isClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
    abs(actual - expected) <= max(tolerance * abs(expected), 1e-15)
}

/// Reference values written by tools/make_metric_fixtures.py with scikit-learn.
private struct MetricFixtures: Decodable {
    struct Case: Decodable {
        var name: String
        var probabilities: [WinnerProbabilities]
        var labels: [Int]
        var logLoss: Double
        var accuracy: Double
        var confusionMatrix: [[Int]]
        var ece: Double
    }

    var versions: [String: String]
    var epsilon: Double
    var eceBins: Int
    var cases: [Case]

    static func load() throws -> MetricFixtures {
        let url = try #require(Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(MetricFixtures.self, from: Data(contentsOf: url))
    }
}

@Suite struct ScikitLearnParityTests {
    @Test func fixtureWasWrittenByThePinnedVersions() throws {
        let fixtures = try MetricFixtures.load()
        #expect(fixtures.versions["scikit-learn"] == "1.4.2")
        #expect(fixtures.versions["numpy"] == "1.26.4")
        #expect(fixtures.epsilon == 1e-15)
        #expect(fixtures.cases.count >= 12)
    }

    @Test func everyCaseMatchesScikitLearn() throws {
        let fixtures = try MetricFixtures.load()
        for fixture in fixtures.cases {
            let p = fixture.probabilities
            let y = fixture.labels
            let logLoss = try Metrics.logLoss(probabilities: p, labels: y, epsilon: fixtures.epsilon)
            #expect(isClose(logLoss, fixture.logLoss), "\(fixture.name): log loss \(logLoss), scikit-learn \(fixture.logLoss)")
            let accuracy = try Metrics.accuracy(probabilities: p, labels: y)
            #expect(isClose(accuracy, fixture.accuracy), "\(fixture.name): accuracy \(accuracy), scikit-learn \(fixture.accuracy)")
            let matrix = try Metrics.confusionMatrix(probabilities: p, labels: y)
            #expect(matrix == fixture.confusionMatrix, "\(fixture.name): confusion matrix")
            let ece = try Metrics.expectedCalibrationError(probabilities: p, labels: y, bins: fixtures.eceBins)
            #expect(isClose(ece, fixture.ece), "\(fixture.name): ECE \(ece), numpy \(fixture.ece)")
        }
    }
}

@Suite struct HandComputedMetricTests {
    @Test func uniformPredictionScoresLnThree() throws {
        // Each row is 1/3 everywhere: nothing clips, rows sum to 1, -ln(1/3) = ln 3.
        let rows = Array(repeating: WinnerProbabilities.uniform, count: 4)
        let loss = try Metrics.logLoss(probabilities: rows, labels: [0, 1, 2, 1])
        #expect(isClose(loss, 1.0986122886681098))
    }

    @Test func zeroOnTheTrueClassIsClippedToEpsilon() throws {
        // [0, 0, 1] clips to [1e-15, 1e-15, 1 - 1e-15], which sums to 1 + 1e-15; the true class
        // 0 gets 1e-15 / (1 + 1e-15), and -ln of that is 15 ln 10 + ln(1 + 1e-15)
        // = 34.538776394910684 (+ 1e-15, below double precision at this size).
        let loss = try Metrics.logLoss(probabilities: [[0, 0, 1]], labels: [0])
        #expect(isClose(loss, 34.538776394910684))
        #expect(isClose(loss, -log(1e-15 / (1 + 1e-15))))
    }

    @Test func onesAreClippedBelowOne() throws {
        // [1, 0, 0] clips to [1 - 1e-15, 1e-15, 1e-15], sum 1 + 1e-15: p = (1 - 1e-15) / (1 + 1e-15),
        // -ln p = 2e-15 to first order; not exactly 0.
        let loss = try Metrics.logLoss(probabilities: [[1, 0, 0]], labels: [0])
        #expect(loss > 1e-15 && loss < 3e-15)
    }

    @Test func rowsAreRenormalised() throws {
        // [0.4, 0.2, 0.2] sums to 0.8; renormalised, class 0 has 0.5: -ln 0.5 = ln 2.
        let loss = try Metrics.logLoss(probabilities: [[0.4, 0.2, 0.2]], labels: [0])
        #expect(isClose(loss, 0.6931471805599453))
    }

    @Test func lossIsTheMeanOverRows() throws {
        // Row 1: p(true) = 1/2, -ln = ln 2. Row 2: p(true) = 1/4, -ln = 2 ln 2. Mean 1.5 ln 2.
        let loss = try Metrics.logLoss(probabilities: [[0.5, 0.5, 0], [0.25, 0.25, 0.5]], labels: [0, 1])
        #expect(isClose(loss, 1.0397207708399179))
    }

    @Test func accuracyBreaksTiesTowardTheLowestClass() throws {
        // Predictions: 0 (tie of 0 and 1), 1 (tie of 1 and 2), 2, 0 (all equal): 3 of 4 right.
        let rows: [WinnerProbabilities] = [[0.4, 0.4, 0.2], [0.2, 0.4, 0.4], [0.1, 0.2, 0.7], [1.0 / 3, 1.0 / 3, 1.0 / 3]]
        #expect(try Metrics.accuracy(probabilities: rows, labels: [0, 1, 2, 1]) == 0.75)
        #expect(try Metrics.confusionMatrix(probabilities: rows, labels: [0, 1, 2, 1]) == [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    }

    @Test func confusionMatrixIsTrueByPredicted() throws {
        // True A predicted B twice; true tie predicted A once; true B predicted B once.
        let rows: [WinnerProbabilities] = [[0.1, 0.8, 0.1], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1]]
        let matrix = try Metrics.confusionMatrix(probabilities: rows, labels: [0, 0, 2, 1])
        #expect(matrix == [[0, 2, 0], [0, 1, 0], [1, 0, 0]])
    }

    @Test func calibrationErrorByHand() throws {
        // One row, confidence 0.5, right: |1 - 0.5| = 0.5.
        #expect(isClose(try Metrics.expectedCalibrationError(probabilities: [[0.2, 0.5, 0.3]], labels: [1]), 0.5))
        // Two rows at confidence 0.9 in one bin, one right: |0.5 - 0.9| = 0.4.
        let rows: [WinnerProbabilities] = [[0.9, 0.05, 0.05], [0.9, 0.05, 0.05]]
        #expect(isClose(try Metrics.expectedCalibrationError(probabilities: rows, labels: [0, 1]), 0.4))
        // Two bins of one row each (confidences 0.5 and 0.9, both right, 10 bins):
        // 1/2 * |1 - 0.5| + 1/2 * |1 - 0.9| = 0.3.
        let split: [WinnerProbabilities] = [[0.5, 0.25, 0.25], [0.05, 0.9, 0.05]]
        #expect(isClose(try Metrics.expectedCalibrationError(probabilities: split, labels: [0, 1], bins: 10), 0.3))
        // One-hot and right: calibrated exactly.
        #expect(try Metrics.expectedCalibrationError(probabilities: [[0, 1, 0]], labels: [1]) == 0)
    }

    @Test func confidenceOnABinBoundaryFallsInTheLowerBin() throws {
        // Two bins, (0, 0.5] and (0.5, 1]. Confidence 0.5 (right) and 0.4 (right) share the
        // first: 2/3 * |1 - 0.45|; 0.8 (wrong) is alone in the second: 1/3 * |0 - 0.8|.
        // Total (1.1 + 0.8) / 3. Were 0.5 in the upper bin, the total would be 0.3.
        let rows: [WinnerProbabilities] = [[0.5, 0.3, 0.2], [0.4, 0.3, 0.3], [0.8, 0.1, 0.1]]
        let ece = try Metrics.expectedCalibrationError(probabilities: rows, labels: [0, 0, 1], bins: 2)
        #expect(isClose(ece, (1.1 + 0.8) / 3))
    }

    @Test func classPriorIsTheLabelShare() throws {
        #expect(try Metrics.classPrior(labels: [0, 0, 1, 2]) == [0.5, 0.25, 0.25])
        #expect(try Metrics.classPrior(labels: [1, 1]) == [0, 1, 0])
    }
}

@Suite struct MetricErrorTests {
    @Test func mismatchedLengths() {
        #expect(throws: MetricError.countMismatch(rows: 2, labels: 1)) {
            try Metrics.logLoss(probabilities: [[1, 0, 0], [0, 1, 0]], labels: [0])
        }
        #expect(throws: MetricError.countMismatch(rows: 1, labels: 2)) {
            try Metrics.accuracy(probabilities: [[1, 0, 0]], labels: [0, 1])
        }
    }

    @Test func emptyInput() {
        #expect(throws: MetricError.emptyInput) { try Metrics.logLoss(probabilities: [], labels: []) }
        #expect(throws: MetricError.emptyInput) { try Metrics.expectedCalibrationError(probabilities: [], labels: []) }
        #expect(throws: MetricError.emptyInput) { try Metrics.classPrior(labels: []) }
    }

    @Test func labelOutOfRange() {
        #expect(throws: MetricError.labelOutOfRange(row: 1, label: 3, classes: 3)) {
            try Metrics.logLoss(probabilities: [[1, 0, 0], [0, 1, 0]], labels: [0, 3])
        }
        #expect(throws: MetricError.labelOutOfRange(row: 0, label: -1, classes: 3)) {
            try Metrics.confusionMatrix(probabilities: [[1, 0, 0]], labels: [-1])
        }
        #expect(throws: MetricError.labelOutOfRange(row: 2, label: 3, classes: 3)) {
            try Metrics.classPrior(labels: [0, 1, 3])
        }
    }

    @Test func nonFiniteValues() {
        #expect(throws: MetricError.self) { try Metrics.logLoss(probabilities: [[.nan, 0.5, 0.5]], labels: [0]) }
        #expect(throws: MetricError.notFinite(row: 0, column: 2, value: .infinity)) {
            try Metrics.accuracy(probabilities: [[0.5, 0.5, .infinity]], labels: [0])
        }
    }

    @Test func invalidBinCount() {
        #expect(throws: MetricError.invalidParameter(name: "bins", value: 0, expected: "at least 1")) {
            try Metrics.expectedCalibrationError(probabilities: [[1, 0, 0]], labels: [0], bins: 0)
        }
    }

    @Test func messagesNameTheRowAndWhatWasExpected() {
        #expect(MetricError.labelOutOfRange(row: 4, label: 3, classes: 3).description == "row 4: label 3 is not a class index; expected 0 to 2")
        #expect(MetricError.countMismatch(rows: 2, labels: 1).description.contains("2 probability rows but 1 labels"))
    }
}
