import ArenaData
import ArgumentParser
import FeatureModels
import Finetuning
import Models
import Pipelines
import Prediction
import Runs
import Torch

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

    @Option(help: "For fine-tuned runs: battles per forward pass (default: twice the training batch).")
    var batchSize: Int?

    @Option(help: "For runs trained with --embeddings: the embeddings of --data (`arena embed` with the run's model and settings). Without it the run's encoder embeds the rows.")
    var embeddings: String?

    /// For fine-tuned runs.
    @OptionGroup var libtorch: LibTorchOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let batchSize, !(1...FinetuneSettings.maxBatchSize).contains(batchSize) {
            throw ValidationError("--batch-size must be in 1...\(FinetuneSettings.maxBatchSize) (got \(batchSize))")
        }
    }

    func run() throws {
        let logger = global.makeLogger("predict")
        // Refuse a bad output before any work: not a device, not the input, not a file of the run.
        _ = try OutputPath.resolve(out, inputs: [data] + (embeddings.map { [$0] } ?? []) + OutputPath.files(in: runPath))
        let config = try RunFolder.readConfig(runPath: runPath)
        let device = try libtorch.prepare(for: config, runPath: runPath, logger: logger)
        let predictor = try RunPredictor(runPath: runPath, device: device)
        let battles = try DataLoading.prediction(path: data, logger: logger)
        let embeddingFile = try embeddings.map { path throws -> EmbeddingFile in
            let file = try EmbeddingFile(path: path)
            try file.check(battles: battles, data: data)
            return file
        }
        if embeddingFile == nil, let source = predictor.embeddingSource {
            logger.info("embedding \(battles.count) rows with \(source.model) (\(source.pooling) pooling, max length \(source.maxLength))")
        }
        let probabilities = try predictor.predict(
            battles, batchSize: batchSize, embeddings: embeddingFile, progress: { done, total in logger.info("fold model \(done)/\(total) done") })
        try SubmissionFile.write(ids: battles.map(\.id), probabilities: probabilities, to: out)
        logger.info("wrote \(battles.count) predictions to \(out)")
    }
}
