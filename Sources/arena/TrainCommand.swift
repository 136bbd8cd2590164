import ArenaData
import ArgumentParser
import Boosting
import Evaluation
import FeatureModels
import Features
import Finetuning
import Foundation
import Logging
import Pipelines
import Prediction
import Report
import Runs

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model with seeded stratified k-fold cross-validation and save the run folder.",
        discussion: """
            Models: linear (hand-made features, optionally with a hashed TF-IDF difference of the \
            responses, XGBoost gblinear; the best on the real sample), gbdt (the same features, \
            XGBoost hist trees), prior (the class frequencies). gbdt and linear train on A/B-swapped copies, average each prediction \
            with that of the swapped battle, fit a temperature on the out-of-fold predictions and \
            use fixed answers for identical or empty responses where that lowers the out-of-fold \
            log loss. --embeddings adds features of pretrained embeddings (`arena embed` of the \
            same data); --stack adds a finished run's out-of-fold predictions (same data, folds \
            and seed), copying the run into this one.

            The run folder holds config.json, metrics.json (log loss per fold and out of fold), \
            oof.csv (out-of-fold predictions), report.html (charts of the data and the run), \
            model.json and the fold models (fold-K.json, \
            XGBoost JSON), importances.csv and history.csv (the validation log loss of each fold \
            after each boosting round). It is written under NAME.partial and renamed into \
            place when complete; finished folds are kept there, and --resume continues an \
            interrupted run from them.
            """
    )

    enum ModelKind: String, ExpressibleByArgument, CaseIterable {
        case gbdt
        case linear
        case prior

        var runKind: RunKind {
            switch self {
            case .gbdt: .gbdt
            case .linear: .linear
            case .prior: .prior
            }
        }
    }

    @Option(help: "Labelled training data (Kaggle train.csv schema, or .jsonl).")
    var data: String

    @Option(help: "The model: \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: ModelKind = .linear

    @Option(help: "Number of cross-validation folds.")
    var folds = 5

    @Option(help: "Seed of the fold split and of the boosters.")
    var seed: UInt64 = 0

    @Option(help: "The run folder to write.")
    var out: String

    @Option(help: "Most boosting rounds per fold (default: 1000 for gbdt, 500 for linear).")
    var rounds: Int?

    @Option(help: "Learning rate (default: 0.05 for gbdt, 0.5 for linear).")
    var learningRate: Double?

    @Option(help: "Tree depth for gbdt (default: 4).")
    var maxDepth: Int?

    @Option(help: "XGBoost threads (default: all cores). Use 1 when other jobs share the cores: XGBoost's threads busy-wait and slow down badly when oversubscribed.")
    var threads: Int?

    @Flag(inversion: .prefixedNo, help: "Add hashed TF-IDF n-gram features of the responses (A - B).")
    var tfidf = false

    @Option(help: "Add features of pretrained embeddings: a file `arena embed` wrote for the same --data (gbdt, linear).")
    var embeddings: String?

    @Option(help: "With --embeddings: columns of the A - B response vector difference: 0 for none, the embedding width for the raw difference, fewer for a fixed projection (default: \(EmbeddingFeatures.Configuration.defaultDifferenceColumns), capped at the width).")
    var embeddingDifference: Int?

    @Option(help: "With --embeddings: columns of the prompt vector, as for --embedding-difference (default: \(EmbeddingFeatures.Configuration.defaultPromptColumns)).")
    var embeddingPrompt: Int?

    @Option(name: .customLong("stack"), help: "A finished run trained on the same --data, --folds and --seed whose out-of-fold predictions become features (log P(A), P(B), P(tie)); repeatable. It is copied into the run, which predicts with it (gbdt, linear).")
    var stack: [String] = []

    @Flag(inversion: .prefixedNo, help: "Train on A/B-swapped copies too.")
    var swapAugmentation = true

    @Flag(inversion: .prefixedNo, help: "Average each prediction with the swapped battle's.")
    var swapAveraging = true

    @Flag(inversion: .prefixedNo, help: "Fit a temperature on the out-of-fold predictions.")
    var calibration = true

    @Flag(inversion: .prefixedNo, help: "Consider fixed answers for identical and empty responses.")
    var edgeCases = true

    @Flag(help: "Replace an existing run folder.")
    var overwrite = false

    @Flag(help: "Continue an interrupted run from the folds finished in OUT.partial.")
    var resume = false

    @Flag(help: "Stop at the first row whose text cells do not decode, instead of skipping it.")
    var strict = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2 (got \(folds))") }
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1 (got \(rounds))") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw ValidationError("--learning-rate must be a positive finite number (got \(learningRate))")
        }
        if let rounds, rounds > 1_000_000 { throw ValidationError("--rounds must be at most 1000000 (got \(rounds))") }
        if let maxDepth, maxDepth > 64 { throw ValidationError("--max-depth must be at most 64 (got \(maxDepth))") }
        guard folds <= 1000 else { throw ValidationError("--folds must be at most 1000 (got \(folds))") }
        if let maxDepth, maxDepth < 1 { throw ValidationError("--max-depth must be at least 1 (got \(maxDepth))") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        if embeddings != nil, model == .prior { throw ValidationError("--embeddings needs --model linear or gbdt") }
        if !stack.isEmpty, model == .prior { throw ValidationError("--stack needs --model linear or gbdt") }
        if embeddings == nil, embeddingDifference != nil || embeddingPrompt != nil {
            throw ValidationError("--embedding-difference and --embedding-prompt need --embeddings")
        }
        for (name, value) in [("--embedding-difference", embeddingDifference), ("--embedding-prompt", embeddingPrompt)] {
            if let value, value < 0 { throw ValidationError("\(name) must not be negative (got \(value))") }
        }
    }

    /// The embedding features asked for, checked against the width of `file`.
    func embeddingSettings(_ file: EmbeddingFile?) throws -> EmbeddingSettings? {
        guard let file else { return nil }
        let width = file.embeddings.width
        for (name, value) in [("--embedding-difference", embeddingDifference), ("--embedding-prompt", embeddingPrompt)] {
            if let value, value > width {
                throw ValidationError("\(name) must be at most \(width), the width of the embeddings in \(file.path) (got \(value))")
            }
        }
        let features = EmbeddingFeatures.Configuration(
            differenceColumns: embeddingDifference ?? min(EmbeddingFeatures.Configuration.defaultDifferenceColumns, width),
            promptColumns: embeddingPrompt ?? min(EmbeddingFeatures.Configuration.defaultPromptColumns, width))
        return EmbeddingSettings(features: features, source: file.source)
    }

    /// The feature model settings from the defaults and the options given.
    func settings(kind: FeatureModelSettings.Kind, embeddings: EmbeddingSettings? = nil) -> FeatureModelSettings {
        var settings = FeatureModelSettings.defaults(for: kind, seed: seed, tfidf: tfidf)
        if let rounds { settings.rounds = rounds }
        if let learningRate { settings.parameters.learningRate = learningRate }
        if let maxDepth { settings.parameters.maxDepth = maxDepth }
        if let threads { settings.parameters.threadCount = threads }
        settings.swapAugmentation = swapAugmentation
        settings.swapAveraging = swapAveraging
        settings.calibrate = calibration
        settings.edgeCases = edgeCases
        settings.embeddings = embeddings
        return settings
    }

    func run() throws {
        let logger = global.makeLogger("train")
        let battles = try DataLoading.training(path: data, strict: strict, logger: logger)
        guard !battles.isEmpty else { throw TrainingError.noRows(path: data) }
        try CrossValidation.requireEveryClass(battles, path: data)
        // The embeddings are read and checked against the rows before any work.
        let embeddingFile = try embeddings.map { path throws -> EmbeddingFile in
            let file = try EmbeddingFile(path: path)
            try file.check(battles: battles, data: data)
            logger.info("\(path): \(file.embeddings.rows) x 3 embeddings of width \(file.embeddings.width) (\(file.source.model), \(file.source.pooling) pooling, max length \(file.source.maxLength))")
            return file
        }
        let embeddingSettings = try embeddingSettings(embeddingFile)
        // The stacked runs' out-of-fold predictions, checked against these rows and folds.
        let stacking = stack.isEmpty ? nil : try Stacking.outOfFold(runs: stack, battles: battles, folds: folds, seed: seed)
        for member in stacking?.members ?? [] {
            logger.info("stacking \(member.source) (\(member.kind), out-of-fold log loss \(member.oofLogLoss.map { String(format: "%.5f", $0) } ?? "unknown"))")
        }
        let started = Date()
        var config = RunConfig(
            kind: model.runKind, data: data, rows: battles.count, folds: folds, seed: seed,
            createdAt: ISO8601DateFormatter().string(from: started), dataFingerprint: RunConfig.fingerprint(of: battles))
        var featureSettings = settings(kind: model == .gbdt ? .gbdt : .linear, embeddings: embeddingSettings)
        featureSettings.stack = stacking?.members
        if model != .prior { try config.setFeatureModelSettings(featureSettings) }
        let training = TrainingRun(config: config, out: out, overwrite: overwrite, resume: resume, inputs: [data] + (embeddings.map { [$0] } ?? []) + stack)
        let (trained, run) = try training.execute(log: { logger.info("\($0)") }) { run in
            switch model {
            case .prior:
                return try PriorTraining.train(battles: battles, folds: folds, seed: seed, run: run)
            case .gbdt, .linear:
                if let stacking { try Stacking.copy(stacking.members, into: run) }
                return try FeatureModelTraining.train(
                    battles: battles, embeddings: embeddingFile?.embeddings, stacked: stacking?.predictions ?? [], folds: folds, seed: seed, settings: featureSettings, run: run,
                    progress: progressPrinter(logger: logger), log: { logger.info("\($0)") }).0
            }
        }
        let metrics = trained.metrics
        for fold in metrics.folds {
            logger.info("fold \(fold.fold + 1)/\(folds): \(fold.rows) rows, log loss \(String(format: "%.5f", fold.logLoss))")
        }
        print(
            String(
                format: "out-of-fold log loss %.5f, accuracy %.4f over %d rows (%d folds, %@); run saved to %@",
                metrics.oofLogLoss, metrics.oofAccuracy, battles.count, folds,
                ProgressClock.format(Date().timeIntervalSince(started)), run.path))
    }

    /// Progress lines of the feature model: rounds rate-limited to one per 5 s, every finished
    /// stage, the ETA after each fold.
    private func progressPrinter(logger: Logger) -> (TrainingProgress) -> Void {
        let clock = ProgressClock()
        var lastPrinted = Date.distantPast
        return { event in
            let finished = event.completed == event.total
            // Rate-limit round updates; always report a finished stage.
            guard finished || Date().timeIntervalSince(lastPrinted) > 5 else { return }
            lastPrinted = Date()
            var line = "\(event.stage)"
            switch event.stage {
            case let .fold(index, count):
                if !finished { line += ": round \(event.completed)" }
                if let detail = event.detail { line += ", \(detail)" }
                if finished {
                    let done = Double(index + 1) / Double(count)
                    line += " (\(ProgressClock.format(clock.elapsed)) elapsed"
                    if let remaining = clock.remaining(fractionDone: done), index + 1 < count {
                        line += ", ETA \(ProgressClock.format(remaining))"
                    }
                    line += ")"
                }
            case .features:
                if let detail = event.detail { line += ", \(detail)" }
                line += finished ? ": \(event.total) rows in \(ProgressClock.format(clock.elapsed))" : ": extracting"
            }
            logger.info("\(line)")
        }
    }
}

