import ArenaData
import Evaluation

/// The result of k-fold cross-validation: one model per fold and an out-of-fold prediction for
/// every row (made by the model that did not see it).
public struct CrossValidationResult<Model> {
    public var models: [Model]
    /// The fold of each row.
    public var folds: [Int]
    /// Out-of-fold P(A), P(B), P(tie) per row, in input order.
    public var outOfFold: [WinnerProbabilities]
    public var metrics: RunMetrics
}

public enum CrossValidation {
    /// Trains one model per fold of a seeded stratified split (``KFold``) and scores the
    /// out-of-fold predictions. `fit` gets the training rows of a fold; `predict` scores
    /// held-out rows.
    public static func run<Model>(
        battles: [Battle], folds: Int, seed: UInt64,
        fit: @escaping (_ fold: Int, _ training: [Battle]) throws -> Model,
        predict: @escaping (Model, [Battle]) throws -> [WinnerProbabilities]
    ) throws -> CrossValidationResult<Model> {
        let kfold = try KFold(labels: try KFold.labels(of: battles), folds: folds, seed: seed)
        let result = try kfold.run(
            ClosureFoldFitter(fit: { fold, rows in try fit(fold, rows.map { battles[$0] }) },
                              predict: { model, rows in try predict(model, rows.map { battles[$0] }) }))
        let metrics = try RunMetrics(outOfFold: result.predictions, labels: kfold.labels, folds: kfold.assignment)
        return CrossValidationResult(
            models: result.outcomes.map(\.model), folds: kfold.assignment, outOfFold: result.predictions, metrics: metrics)
    }

    /// Throws unless the labelled `battles` hold every class: a model that never saw ties
    /// predicts P(tie) = 0, and one tie then costs a log loss of 34.5.
    public static func requireEveryClass(_ battles: [Battle], path: String) throws(TrainingError) {
        var counts = [0, 0, 0]
        for battle in battles { if let winner = battle.winner { counts[winner.rawValue] += 1 } }
        if let missing = Winner.allCases.first(where: { counts[$0.rawValue] == 0 }) {
            throw TrainingError.missingClass(path: path, className: missing.name, counts: counts)
        }
    }

    /// The out-of-fold predictions as CSV: id, fold, label, and the three probabilities.
    public static func outOfFoldCSV(battles: [Battle], folds: [Int], predictions: [WinnerProbabilities]) -> String {
        var writer = CSVWriter()
        writer.write(["id", "fold", "label"] + KaggleColumn.winners)
        for (row, battle) in battles.enumerated() {
            writer.write(
                [battle.id, String(folds[row]), battle.winner?.name ?? ""] + predictions[row].map { "\($0)" })
        }
        return writer.take()
    }
}
