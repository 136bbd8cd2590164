import ArenaData
import ArgumentParser
import Foundation
import Models
import Prediction
import Runs

/// Library errors say what is wrong in the library's terms (settings fields, paths); here they
/// get the command line's: option names for settings, and the options that resolve a run-folder
/// conflict.
enum CommandLineErrors {
    /// The option of each settings field (``TrainingError/setting(name:problem:)``).
    static let optionNames: [String: String] = [
        "accumulation": "--accumulate", "batchSize": "--batch-size", "clipNorm": "--clip-norm", "epochs": "--epochs",
        "evaluationsPerEpoch": "--evaluations-per-epoch", "fixedTemperature": "--temperature", "folds": "--folds",
        "embeddings": "--embeddings", "headDropout": "--head-dropout", "headLearningRate": "--head-learning-rate",
        "labelSmoothing": "--label-smoothing", "learningRate": "--learning-rate", "maxLength": "--max-length", "maxSteps": "--max-steps",
        "members": "--run", "numericFeatures": "--numeric-features", "patience": "--patience", "plateauFactor": "--plateau-factor",
        "plateauPatience": "--plateau-patience", "precision": "--precision", "rampDecay": "--ramp-decay", "rampEpochs": "--ramp-epochs",
        "rampHorizon": "--ramp-horizon", "rampStart": "--ramp-start", "tfidf": "--tfidf", "validationFraction": "--validation-fraction",
        "warmupFraction": "--warmup", "weightDecay": "--weight-decay", "distillation.weight": "--teacher-weight",
        "distillation.teacher": "--teacher",
    ]

    /// "--batch-size must be in 1...1048576 (got 0)" for a settings error; nil for others.
    static func settingMessage(_ error: Error) -> String? {
        guard case let .setting(name, problem)? = error as? TrainingError else { return nil }
        return "\(optionNames[name] ?? WeightPerturbationOptions.optionNames[name] ?? LoraOptions.optionNames[name] ?? name.snakeCased) \(problem)"
    }

    /// `error` as the command line tells it: settings errors as usage errors (exit 64) naming
    /// the option, run-folder conflicts with the options that resolve them; others unchanged.
    static func translate(_ error: Error) -> Error {
        if let message = settingMessage(error) { return ValidationError(message) }
        if case let .sequenceTooLong(file, length, limit)? = error as? ModelError {
            return CommandLineError("--max-length \(length) is longer than the \(limit) positions this model has (\(file)); use --max-length \(limit) or less")
        }
        guard let run = error as? RunError else { return error }
        switch run {
        case .runExists:
            return CommandLineError(run.description + "; choose another --out or pass --overwrite")
        case let .notARun(path, _):
            return CommandLineError(run.description + "; make one with `arena train --out \(path)`")
        case .interruptedRunExists:
            return CommandLineError(run.description + "; resume it (--resume) or start over (--overwrite)")
        case .cannotResume:
            return CommandLineError(run.description + "; resume with the same data and settings, or start over (--overwrite)")
        default:
            return error
        }
    }
}

/// An error message for the command line (exit status 1).
struct CommandLineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
