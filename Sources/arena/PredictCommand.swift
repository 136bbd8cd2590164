import ArenaData
import ArgumentParser
import Models
import Torch
import Training

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict P(A), P(B), P(tie) for every row with a trained run and write a Kaggle submission.",
        discussion: """
            Every input id appears exactly once in the output, in input order. Rows whose text \
            cells do not decode are kept (the raw cell becomes one turn) and reported.
            """
    )

    @Option(name: .customLong("run"), help: "The run folder written by `arena train`.")
    var runPath: String

    @Option(help: "The rows to predict (Kaggle test.csv or train.csv schema, or .jsonl).")
    var data: String

    @Option(help: "The submission CSV to write (id, winner_model_a, winner_model_b, winner_tie).")
    var out: String

    @Option(help: "For fine-tuned runs: cpu, cuda, cuda:N or auto.")
    var device: String = "cpu"

    @Option(help: "For fine-tuned runs: battles per forward pass (default: twice the training batch).")
    var batchSize: Int?

    @Option(help: "For fine-tuned runs: libtorch threads.")
    var threads: Int?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let logger = global.makeLogger("predict")
        let config = try RunFolder.readConfig(runPath: runPath)
        let battles = try DataLoading.prediction(path: data, logger: logger)
        let probabilities: [[Double]]
        switch config.model {
        case TrainCommand.ModelKind.prior.rawValue:
            let model = try RunFolder.readJSON(PriorRunModel.self, runPath: runPath, name: "model.json")
            guard !model.folds.isEmpty, model.folds.allSatisfy({ $0.probabilities.count == Winner.allCases.count }) else {
                throw TrainingError.corruptRun(path: runPath + "/model.json", reason: "expected one 3-class prior per fold")
            }
            let foldPredictions = model.folds.map { $0.predict(battles) }
            probabilities = Ensemble.mean(foldPredictions)
        case TrainCommand.ModelKind.gbdt.rawValue, TrainCommand.ModelKind.linear.rawValue:
            let artifact = try RunFolder.readJSON(FeatureModelArtifact.self, runPath: runPath, name: "model.json")
            probabilities = try FeatureModelTraining.predict(battles: battles, artifact: artifact, runPath: runPath)
        case ClassifierArchitecture.cross.rawValue, ClassifierArchitecture.pair.rawValue:
            LibTorch.keepFreedMemory()
            if let threads { try LibTorch.setThreadCount(threads) }
            let artifact = try RunFolder.readJSON(FinetuneArtifact.self, runPath: runPath, name: "model.json")
            probabilities = try FinetuneTraining.predict(
                battles: battles, artifact: artifact, runPath: runPath, device: try DeviceOption.resolve(device), batchSize: batchSize,
                progress: { done, total in logger.info("fold model \(done)/\(total) done") })
        default:
            throw TrainingError.incompatibleRun(
                path: runPath + "/config.json", reason: "model \"\(config.model)\" is not one this arena knows")
        }
        try SubmissionFile.write(ids: battles.map(\.id), probabilities: probabilities, to: out)
        logger.info("wrote \(battles.count) predictions to \(out)")
    }
}
