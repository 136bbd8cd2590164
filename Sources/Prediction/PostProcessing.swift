import ArenaData
import Evaluation

/// Which temperature a run applies to its predictions.
public enum TemperatureChoice: Sendable, Equatable {
    /// None.
    case none
    /// Fitted on the out-of-fold (or validation) predictions.
    case fitted
    /// A fixed value (the S3 notebook divides its logits by 0.85).
    case fixed(Double)
}

/// What is fitted on out-of-fold (or validation) predictions after the models: a temperature,
/// then fixed answers for the edge cases, each optional; with the log loss after each step.
public struct PostProcessing {
    public var temperature: TemperatureScaling?
    public var edgeCases: EdgeCaseRules?
    /// The predictions after every step.
    public var predictions: [WinnerProbabilities]
    /// The log loss after each step: "model", then "calibrated" (fitted or fixed) and "edge
    /// cases" when done.
    public var steps: [(step: String, logLoss: Double)]

    /// Fits the steps asked for on `predictions` of `battles` (their labels and folds).
    public static func fit(
        predictions: [WinnerProbabilities], battles: [Battle], labels: [Int], folds: [Int], temperature: TemperatureChoice, edgeCases: Bool
    ) throws -> PostProcessing {
        var result = PostProcessing(
            temperature: nil, edgeCases: nil, predictions: predictions,
            steps: [("model", try Metrics.logLoss(probabilities: predictions, labels: labels))])
        let scaling: TemperatureScaling?
        switch temperature {
        case .none: scaling = nil
        case .fitted: scaling = try TemperatureScaling.fit(probabilities: result.predictions, labels: labels)
        case let .fixed(value): scaling = TemperatureScaling(temperature: value)
        }
        if let scaling {
            result.temperature = scaling
            result.predictions = scaling.apply(result.predictions)
            result.steps.append(("calibrated", try Metrics.logLoss(probabilities: result.predictions, labels: labels)))
        }
        if edgeCases {
            let rules = try EdgeCaseRules.select(battles: battles, folds: folds, outOfFold: result.predictions)
            result.edgeCases = rules
            result.predictions = rules.apply(to: result.predictions, battles: battles)
            result.steps.append(("edge cases", try Metrics.logLoss(probabilities: result.predictions, labels: labels)))
        }
        return result
    }

    /// The run metrics of the final predictions, with the loss after each step.
    public func metrics(labels: [Int], folds: [Int]) throws -> RunMetrics {
        var metrics = try RunMetrics(outOfFold: predictions, labels: labels, folds: folds)
        metrics.steps = steps.map { RunMetrics.Step(step: $0.step, logLoss: $0.logLoss) }
        return metrics
    }

    /// The prediction chain of a finished run: the mean of the fold models' predictions, then
    /// the temperature, then the edge-case answers (each when the run fitted one). The one place
    /// the order is written; training fits the steps in the same order (``fit``).
    public static func apply(
        foldPredictions: [[WinnerProbabilities]], temperature: TemperatureScaling?, edgeCases: EdgeCaseRules?, battles: [Battle]
    ) -> [WinnerProbabilities] {
        var probabilities = Ensemble.mean(foldPredictions)
        if let temperature { probabilities = temperature.apply(probabilities) }
        if let edgeCases { probabilities = edgeCases.apply(to: probabilities, battles: battles) }
        return probabilities
    }
}
