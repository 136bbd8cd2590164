/// A booster from `Boosting.train`, with the round early stopping chose.
public struct TrainedBooster {
    /// The model. A tree model keeps every round trained; a linear model is the one at
    /// `bestIteration` (see `Boosting.train`).
    public let booster: Booster
    /// The best round, counted from 0: the one with the best validation metric under early
    /// stopping, otherwise the last round.
    public let bestIteration: Int
    /// The validation metric (`evalMetric`, mlogloss by default) after each round trained;
    /// empty without a validation set.
    public let validationHistory: [Double]

    /// The rounds predictions use: `0 ..< bestIteration + 1`.
    public var iterationRange: Range<Int> { 0..<(bestIteration + 1) }

    /// Predictions from rounds `0...bestIteration`, as `xgboost.train(...).predict(m,
    /// iteration_range=(0, best_iteration + 1))` gives them: row-major, one value per class.
    public func predict(_ matrix: DMatrix) throws(BoostingError) -> [Float] {
        try booster.predict(matrix, iterationRange: iterationRange)
    }
}

/// Training loops over `Booster`.
public enum Boosting {
    /// The name of the validation set in XGBoost's evaluation output (`valid-mlogloss`).
    public static let validationName = "valid"

    /// Trains a booster the way Python's `xgboost.train` does with
    /// `evals=[(validation, "valid")]` and `early_stopping_rounds`.
    ///
    /// After each round the last metric on `validation` is recorded; with
    /// `earlyStoppingRounds` = k, training stops once k rounds in a row fail to improve on the
    /// best value (strictly lower, or higher for `auc`/`map`/`ndcg` metrics). The attributes
    /// `best_iteration` and `best_score` are then set on the model, as Python sets them.
    /// A tree model keeps every round and `TrainedBooster.predict` uses rounds
    /// `0...bestIteration`. XGBoost cannot limit a linear model's prediction to earlier rounds,
    /// so for `gblinear` the model at the best round is kept instead (a snapshot restored at
    /// the end), which is what retraining for `bestIteration + 1` rounds would give.
    ///
    /// - Parameters:
    ///   - training: rows with labels set.
    ///   - validation: rows with labels set, evaluated after every round; required for early
    ///     stopping.
    ///   - rounds: the most boosting rounds, at least 1.
    ///   - onIteration: called after each round with its index and the validation metric.
    /// - Throws: `.invalidInput` for bad arguments; `.xgboost` with XGBoost's message for an
    ///   invalid parameter value, labels out of range, and other XGBoost failures.
    public static func train(
        parameters: BoosterParameters,
        training: DMatrix,
        validation: DMatrix? = nil,
        rounds: Int,
        earlyStoppingRounds: Int? = nil,
        onIteration: ((Int, Double?) -> Void)? = nil
    ) throws(BoostingError) -> TrainedBooster {
        guard rounds >= 1 else { throw .invalidInput("rounds must be at least 1, got \(rounds)") }
        if let earlyStoppingRounds {
            guard earlyStoppingRounds >= 1 else {
                throw .invalidInput("early stopping rounds must be at least 1, got \(earlyStoppingRounds)")
            }
            guard validation != nil else { throw .invalidInput("early stopping needs a validation set") }
        }
        let booster = try Booster(parameters: parameters, cachedMatrices: [training] + (validation.map { [$0] } ?? []))
        var stopping: EarlyStopping?
        var history: [Double] = []
        var bestSnapshot: [UInt8]?
        var lastIteration = 0
        for iteration in 0..<rounds {
            lastIteration = iteration
            try booster.updateOneIteration(iteration, training: training)
            guard let validation else {
                onIteration?(iteration, nil)
                continue
            }
            let results = try booster.evaluationResults(iteration: iteration, sets: [(validationName, validation)])
            // Like Python, watch the last metric XGBoost reports.
            guard let (key, score) = results.last else {
                throw .xgboost(call: "XGBoosterEvalOneIter", message: "no metric on the validation set")
            }
            history.append(score)
            onIteration?(iteration, score)
            guard let patience = earlyStoppingRounds else { continue }
            var state = stopping ?? EarlyStopping(patience: patience, maximize: maximizes(metricKey: key))
            if state.record(score, iteration: iteration) {
                // `String(Double)` is the shortest round-trip text, as Python's str(float).
                try booster.setAttribute("best_score", String(score))
                try booster.setAttribute("best_iteration", String(iteration))
                if parameters.booster == .gblinear { bestSnapshot = try booster.jsonModel() }
            }
            stopping = state
            if state.shouldStop { break }
        }
        guard let stopping else {
            return TrainedBooster(booster: booster, bestIteration: lastIteration, validationHistory: history)
        }
        if let bestSnapshot, stopping.bestIteration != lastIteration {
            let best = try Booster(jsonModel: bestSnapshot)
            return TrainedBooster(booster: best, bestIteration: stopping.bestIteration, validationHistory: history)
        }
        return TrainedBooster(booster: booster, bestIteration: stopping.bestIteration, validationHistory: history)
    }

    /// Whether a higher value is better for the metric in `metricKey` ("valid-auc"), by the
    /// rule of Python's `EarlyStopping`.
    static func maximizes(metricKey: String) -> Bool {
        let metric = metricKey.hasPrefix(validationName + "-") ? metricKey.dropFirst(validationName.count + 1) : Substring(metricKey)
        return metric != "mape" && ["auc", "map", "ndcg"].contains { metric.hasPrefix($0) }
    }
}

/// Python xgboost's `EarlyStopping` callback with `min_delta` 0.
struct EarlyStopping {
    let patience: Int
    let maximize: Bool
    private var best: Double?
    private(set) var bestIteration = 0
    private var roundsWithoutImprovement = 0

    init(patience: Int, maximize: Bool) {
        self.patience = patience
        self.maximize = maximize
    }

    /// Records a round's score; true when it is the new best (the first round always is).
    mutating func record(_ score: Double, iteration: Int) -> Bool {
        if let best, !(maximize ? score > best : score < best) {
            roundsWithoutImprovement += 1
            return false
        }
        best = score
        bestIteration = iteration
        roundsWithoutImprovement = 0
        return true
    }

    var shouldStop: Bool { roundsWithoutImprovement >= patience }
}
