import Boosting
import Foundation
import Testing

/// Reference data and results written by tools/make_xgboost_fixtures.py with Python xgboost 1.7.4.
struct XGBoostFixtures: Decodable {
    struct CSR: Decodable {
        var rowOffsets: [Int]
        var columnIndices: [UInt32]
        var values: [Float]

        enum CodingKeys: String, CodingKey {
            case rowOffsets = "row_offsets", columnIndices = "column_indices", values
        }
    }

    struct Case: Decodable {
        var name: String
        var data: String
        var parameters: [String: String]
        var rounds: Int
        var earlyStoppingRounds: Int?
        var boostedRounds: Int
        var validationLoss: [Double]
        var bestIteration: Int
        var bestScore: String
        var predictionsAtBest: [Float]
        var predictionsAllRounds: [Float]
        var gain: [String: Float]?
        var modelJSON: String?

        enum CodingKeys: String, CodingKey {
            case name, data, parameters, rounds, gain
            case earlyStoppingRounds = "early_stopping_rounds"
            case boostedRounds = "boosted_rounds"
            case validationLoss = "validation_loss"
            case bestIteration = "best_iteration"
            case bestScore = "best_score"
            case predictionsAtBest = "predictions_at_best"
            case predictionsAllRounds = "predictions_all_rounds"
            case modelJSON = "model_json"
        }
    }

    var versions: [String: String]
    var rows: Int
    var columns: Int
    var trainingRows: Int
    var featureNames: [String]
    var labels: [Float]
    /// Row-major; nil is a missing value.
    var dense: [Float?]
    var csr: CSR
    var cases: [Case]

    enum CodingKeys: String, CodingKey {
        case versions, rows, columns, labels, dense, csr, cases
        case trainingRows = "training_rows"
        case featureNames = "feature_names"
    }

    /// Decoded once; every test reads the same copy.
    private static let decoded = Result { () throws -> XGBoostFixtures in
        let url = try #require(Bundle.module.url(forResource: "xgboost", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(XGBoostFixtures.self, from: Data(contentsOf: url))
    }

    static func load() throws -> XGBoostFixtures { try decoded.get() }

    func fixtureCase(_ name: String) throws -> Case {
        try #require(cases.first { $0.name == name })
    }

    /// The training rows, the validation rows and all rows, labelled, in the layout `kind`
    /// ("dense" or "csr").
    func matrices(_ kind: String) throws -> (training: DMatrix, validation: DMatrix, all: DMatrix) {
        (try matrix(kind, rows: 0..<trainingRows),
         try matrix(kind, rows: trainingRows..<rows),
         try matrix(kind, rows: 0..<rows))
    }

    func matrix(_ kind: String, rows selected: Range<Int>) throws -> DMatrix {
        let matrix: DMatrix
        if kind == "csr" {
            let start = csr.rowOffsets[selected.lowerBound], end = csr.rowOffsets[selected.upperBound]
            matrix = try DMatrix(
                csr: csr.rowOffsets[selected.lowerBound...selected.upperBound].map { $0 - start },
                columnIndices: Array(csr.columnIndices[start..<end]),
                values: Array(csr.values[start..<end]),
                columns: columns)
        } else {
            let values = dense[(selected.lowerBound * columns)..<(selected.upperBound * columns)].map { $0 ?? .nan }
            matrix = try DMatrix(dense: values, rows: selected.count, columns: columns)
        }
        try matrix.setLabels(Array(labels[selected]))
        return matrix
    }
}

/// The Swift settings that render to each case's Python parameters.
func swiftParameters(forCase name: String) -> BoosterParameters {
    switch name {
    case "gblinear":
        BoosterParameters(
            booster: .gblinear, learningRate: 0.5, l2Regularization: 0.1, l1Regularization: 0.01,
            featureSelector: .cyclic, seed: 0, threadCount: 1)
    default:
        BoosterParameters(
            learningRate: 0.3, maxDepth: 4, minChildWeight: 1, subsample: 0.8, columnSampleByTree: 0.8,
            l2Regularization: 1, l1Regularization: 0, seed: name == "csr_hist" ? 11 : 7, threadCount: 1)
    }
}

/// The largest absolute difference between two equally long arrays (infinity if the lengths differ).
func maximumDifference(_ actual: [Float], _ expected: [Float]) -> Float {
    guard actual.count == expected.count else { return .infinity }
    return zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
}

/// A fresh folder under the system's temporary directory.
func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("boosting-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
