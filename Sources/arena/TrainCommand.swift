import ArenaData
import ArgumentParser
import Evaluation
import Foundation
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model with seeded stratified k-fold cross-validation and save the run folder.",
        discussion: """
            The run folder holds config.json, metrics.json (log loss per fold and out of fold), \
            oof.csv (out-of-fold predictions) and the fold models. It is written under NAME.partial \
            and renamed into place when complete.
            """
    )

    enum ModelKind: String, ExpressibleByArgument, CaseIterable {
        case prior
    }

    @Option(help: "Labelled training data (Kaggle train.csv schema, or .jsonl).")
    var data: String

    @Option(help: "The model: \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: ModelKind = .prior

    @Option(help: "Number of cross-validation folds.")
    var folds = 5

    @Option(help: "Seed of the fold split.")
    var seed: UInt64 = 0

    @Option(help: "The run folder to write.")
    var out: String

    @Flag(help: "Replace an existing run folder.")
    var overwrite = false

    @Flag(help: "Stop at the first row whose text cells do not decode, instead of skipping it.")
    var strict = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2 (got \(folds))") }
    }

    func run() throws {
        let logger = global.makeLogger("train")
        let battles = try DataLoading.training(path: data, strict: strict, logger: logger)
        let run = try RunFolder.create(at: out, overwrite: overwrite)
        let started = Date()
        let result: CrossValidationResult<ClassPriorModel>
        switch model {
        case .prior:
            result = try CrossValidation.run(
                battles: battles, folds: folds, seed: seed,
                fit: { _, training in try ClassPriorModel(fitting: training) },
                predict: { model, rows in model.predict(rows) })
            try run.writeJSON(PriorRunModel(folds: result.models), to: "model.json")
        }
        for fold in result.metrics.folds {
            logger.info("fold \(fold.fold + 1)/\(folds): \(fold.rows) rows, log loss \(String(format: "%.5f", fold.logLoss))")
        }
        try run.write(
            CrossValidation.outOfFoldCSV(battles: battles, folds: result.folds, predictions: result.outOfFold), to: "oof.csv")
        try run.writeJSON(result.metrics, to: "metrics.json")
        let config = RunConfig(
            model: model.rawValue, data: data, rows: battles.count, folds: folds, seed: seed,
            createdAt: ISO8601DateFormatter().string(from: started))
        try run.writeJSON(config, to: "config.json")
        try run.commit()
        print(
            String(
                format: "out-of-fold log loss %.5f, accuracy %.4f over %d rows (%d folds); run saved to %@",
                result.metrics.oofLogLoss, result.metrics.oofAccuracy, battles.count, folds, run.path))
    }
}

/// `model.json` of a class-prior run: one prior per fold model.
struct PriorRunModel: Codable {
    var folds: [ClassPriorModel]
}
