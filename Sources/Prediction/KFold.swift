import ArenaData

/// One model family's part of k-fold training, run by ``KFold/run(_:)``: the prior, the
/// feature models and fine-tuning each conform; the runner owns the folds, the order, resuming
/// and the gathering of held-out predictions.
public protocol FoldFitter {
    /// What a finished fold leaves: its model or a record of it, with its held-out predictions.
    associatedtype Outcome

    /// The outcome of fold `fold` finished by an earlier, interrupted run, or nil to train it.
    func resumed(fold: Int, heldOut: [Int]) throws -> Outcome?

    /// Trains fold `fold` on the `training` rows and predicts the `heldOut` rows, saving what a
    /// resumed run needs to skip the fold.
    func fit(fold: Int, training: [Int], heldOut: [Int]) throws -> Outcome

    /// The held-out predictions of `outcome`: P(A), P(B), P(tie) per held-out row, in order.
    func predictions(of outcome: Outcome) -> [WinnerProbabilities]
}

extension FoldFitter {
    public func resumed(fold: Int, heldOut: [Int]) throws -> Outcome? { nil }
}

/// The folds of a labelled data set: a seeded stratified k-fold split, or with one fold a
/// stratified hold-out split (its rows outside the held-out share are only trained on).
public struct KFold: Sendable, Equatable {
    /// The class index of each row's label.
    public let labels: [Int]
    /// The fold that holds each row out; -1 for a row no fold holds out (one-fold hold-out).
    public let assignment: [Int]
    /// The number of folds.
    public let count: Int

    /// `folds` >= 2: k-fold; `folds` == 1: hold out `holdoutFraction` of the rows.
    public init(labels: [Int], folds: Int, seed: UInt64, holdoutFraction: Double = 0.1) throws {
        guard folds >= 1 else { throw TrainingError.setting(name: "folds", problem: "must be at least 1 (got \(folds))") }
        self.labels = labels
        count = folds
        if folds == 1 {
            let split = try StratifiedKFold.holdout(labels: labels, fraction: holdoutFraction, seed: seed)
            var marks = [Int](repeating: -1, count: labels.count)
            for row in split.heldOut { marks[row] = 0 }
            assignment = marks
        } else {
            assignment = try StratifiedKFold.assign(labels: labels, folds: folds, seed: seed)
        }
    }

    /// The class index of every battle's label; a battle without one is refused by id.
    public static func labels(of battles: [Battle]) throws(TrainingError) -> [Int] {
        try battles.map { battle throws(TrainingError) -> Int in
            guard let winner = battle.winner else { throw TrainingError.unlabelledRow(id: battle.id) }
            return winner.rawValue
        }
    }

    /// The rows fold `fold` trains on.
    public func training(fold: Int) -> [Int] { assignment.indices.filter { assignment[$0] != fold } }

    /// The rows fold `fold` holds out.
    public func heldOut(fold: Int) -> [Int] { assignment.indices.filter { assignment[$0] == fold } }

    /// Runs every fold in order: a fold finished earlier is taken from `fitter.resumed`, the
    /// others are fitted; then the held-out predictions are gathered by row.
    public func run<Fitter: FoldFitter>(_ fitter: Fitter) throws -> KFoldResult<Fitter.Outcome> {
        var outcomes: [Fitter.Outcome] = []
        var predictionByRow: [Int: WinnerProbabilities] = [:]
        for fold in 0..<count {
            let heldOut = heldOut(fold: fold)
            let outcome = try fitter.resumed(fold: fold, heldOut: heldOut)
                ?? fitter.fit(fold: fold, training: training(fold: fold), heldOut: heldOut)
            let predictions = fitter.predictions(of: outcome)
            guard predictions.count == heldOut.count else {
                throw TrainingError.invariant("fold \(fold + 1) gave \(predictions.count) predictions for \(heldOut.count) held-out rows")
            }
            for (row, prediction) in zip(heldOut, predictions) { predictionByRow[row] = prediction }
            outcomes.append(outcome)
        }
        let rows = predictionByRow.keys.sorted()
        return KFoldResult(
            outcomes: outcomes, rows: rows, folds: rows.map { assignment[$0] }, predictions: rows.compactMap { predictionByRow[$0] })
    }
}

/// What ``KFold/run(_:)`` gives: each fold's outcome, and the rows some fold held out, in
/// ascending order, with that fold and its prediction.
public struct KFoldResult<Outcome> {
    public var outcomes: [Outcome]
    public var rows: [Int]
    public var folds: [Int]
    public var predictions: [WinnerProbabilities]
}

/// A fitter from two closures, for models without checkpoints (the class prior, tests).
public struct ClosureFoldFitter<Model>: FoldFitter {
    public let fit: (_ fold: Int, _ training: [Int]) throws -> Model
    public let predict: (_ model: Model, _ heldOut: [Int]) throws -> [WinnerProbabilities]

    public init(fit: @escaping (Int, [Int]) throws -> Model, predict: @escaping (Model, [Int]) throws -> [WinnerProbabilities]) {
        self.fit = fit
        self.predict = predict
    }

    public func fit(fold: Int, training: [Int], heldOut: [Int]) throws -> (model: Model, predictions: [WinnerProbabilities]) {
        let model = try fit(fold, training)
        return (model, try predict(model, heldOut))
    }

    public func predictions(of outcome: (model: Model, predictions: [WinnerProbabilities])) -> [WinnerProbabilities] { outcome.predictions }
}
