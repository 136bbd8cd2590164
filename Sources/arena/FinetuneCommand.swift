import ArenaData
import ArgumentParser
import FeatureModels
import Finetuning
import Foundation
import Logging
import Models
import Pipelines
import Prediction
import Report
import Runs
import Torch

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a pretrained encoder (BERT / MiniLM, DeBERTa-v3) to predict the preferred response.",
        discussion: """
            --model is a Hugging Face folder (config.json, model.safetensors or pytorch_model.bin, \
            and vocab.txt / tokenizer.json or spm.model). Architectures: cross (one sequence \
            "[CLS] [PROMPT] p [RESPONSE_A] a [RESPONSE_B] b [SEP]" with a sequence-classification \
            head; each part gets a share of --max-length) and pair (the shared-weight layout of the \
            KerasNLP starter: "Prompt: p\\n\\nResponse: r" for each response through one encoder, \
            mean-pooled, concatenated, one linear layer).

            Training: AdamW (no weight decay on biases and LayerNorms), linear warm-up then linear, \
            cosine or constant decay, cross-entropy with optional label smoothing, gradient \
            clipping, optional bfloat16 autocast; a validation pass each epoch (or more often) \
            keeps the best weights and can stop early. With --folds 1 a stratified \
            --validation-fraction is held out; with --folds K every row gets an out-of-fold \
            prediction and prediction averages the K models. A temperature and fixed answers for \
            identical or empty responses are fitted on the validation predictions.

            The run folder holds config.json, model.json, model/ (config.json and tokenizer \
            files), fold-K.safetensors (Hugging Face names; a cross run is a \
            *ForSequenceClassification state dict), metrics.json, oof.csv, training.csv (each \
            optimizer step: learning rate, training loss, validation loss) and report.html. It is \
            written under NAME.partial; each fold's weights, optimizer and position are saved \
            there at each validation pass and every --checkpoint-seconds, and --resume continues \
            a killed run from them.
            """
    )

    @Option(help: "Labelled training data (Kaggle train.csv schema, or .jsonl).")
    var data: String

    @Option(help: "The pretrained Hugging Face model folder.")
    var model: String

    @Option(help: "The run folder to write.")
    var out: String

    @Option(help: "cross (prompt and both responses in one sequence) or pair (one shared encoder per side).")
    var architecture: ClassifierArchitecture = .cross

    @Option(help: "Tokens per sequence.")
    var maxLength = 256

    @Option(help: "Which turns.")
    var turns: TurnSelection = .first

    @Option(help: "pair: how prompt and response share a sequence: template (\"Prompt: ...\\n\\nResponse: ...\", S1) or sep ([CLS] prompt [SEP] response [SEP], S2).")
    var pairFormat: PairFormat = .template

    @Flag(help: "Collapse whitespace and drop non-ASCII characters before tokenizing (S2).")
    var textCleanup = false

    @Flag(help: "pair: add S3's 14 turn-length statistics per side through a feature branch.")
    var numericFeatures = false

    @Option(help: "With --numeric-features: widths of the per-side projection and of the joint layer.")
    var featureWidths: String = "512,256"

    @Flag(help: "Drop repeated battles (same prompt and responses) before training (S3).")
    var dropDuplicates = false

    @Option(help: "Battles per forward pass.")
    var batchSize = 8

    @Option(help: "Forward passes per optimizer step (gradient accumulation): a step sees batch-size x accumulate battles.")
    var accumulate = 1

    @Option(help: "Passes over the training rows.")
    var epochs = 1

    @Option(help: "At most this many optimizer steps per fold.")
    var maxSteps: Int?

    @Option(help: "Peak learning rate.")
    var learningRate = 2e-5

    @Option(help: "AdamW weight decay (not on biases and LayerNorms).")
    var weightDecay = 0.01

    @Option(help: "Share of the steps spent warming up.")
    var warmup = 0.1

    @Option(help: "Decay after the warm-up.")
    var schedule: LearningRateSchedule.Shape = .linear

    @Option(help: "Label smoothing of the cross-entropy.")
    var labelSmoothing = 0.0

    @Option(help: "Clip the gradients' global norm to this (0: no clipping).")
    var clipNorm = 1.0

    @Option(help: "Dropout before the classifier (default: the model config's).")
    var headDropout: Double?

    @Option(help: "float32 or bfloat16 (autocast; on CUDA also float16).")
    var precision: Precision = .float32

    @Option(help: "Cross-validation folds; 1 holds out --validation-fraction instead.")
    var folds = 1

    @Option(help: "With --folds 1, the stratified share of rows held out for validation.")
    var validationFraction = 0.2

    @Option(help: "Validation passes per epoch.")
    var evaluationsPerEpoch = 1

    @Option(help: "Stop a fold after this many validation passes without improvement.")
    var patience: Int?

    @Option(help: "Multiply the learning rate by --plateau-factor after this many validation passes without improvement (S2).")
    var plateauPatience: Int?

    @Option(help: "See --plateau-patience.")
    var plateauFactor = 0.5

    @Option(help: "Seed of the split, the head's initial weights, the batch order and dropout.")
    var seed: UInt64 = 0

    @OptionGroup var libtorch: LibTorchOptions

    @Option(help: "Save the running fold's state at least this often (seconds).")
    var checkpointSeconds = 300.0

    @Flag(inversion: .prefixedNo, help: "Train on A/B-swapped copies too (doubles the steps).")
    var swapAugmentation = false

    @Flag(inversion: .prefixedNo, help: "Average each prediction with the swapped battle's.")
    var swapAveraging = true

    @Flag(inversion: .prefixedNo, help: "Fit a temperature on the validation predictions.")
    var calibration = true

    @Flag(inversion: .prefixedNo, help: "Consider fixed answers for identical and empty responses.")
    var edgeCases = true

    @Flag(help: "Replace an existing run folder.")
    var overwrite = false

    @Flag(help: "Continue an interrupted run from OUT.partial.")
    var resume = false

    @Flag(help: "Stop at the first row whose text cells do not decode, instead of skipping it.")
    var strict = false

    @OptionGroup var global: GlobalOptions

    func settings() throws -> FinetuneSettings {
        let widths = featureWidths.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard widths.count == 2, let projection = widths[0], let hidden = widths[1] else {
            throw ValidationError("--feature-widths must be two integers such as 512,256, not \(featureWidths)")
        }
        return FinetuneSettings(
            architecture: architecture, model: model, maxLength: maxLength, turns: turns, pairFormat: pairFormat, textCleanup: textCleanup,
            numericFeatures: numericFeatures ? NumericFeatureHead(count: FeatureScaling.count, projectionWidth: projection, hiddenWidth: hidden) : nil,
            dropDuplicates: dropDuplicates, batchSize: batchSize, accumulation: accumulate, epochs: epochs,
            maxSteps: maxSteps, learningRate: learningRate, weightDecay: weightDecay, warmupFraction: warmup, schedule: schedule,
            labelSmoothing: labelSmoothing, clipNorm: clipNorm > 0 ? clipNorm : nil, headDropout: headDropout, precision: precision,
            swapAugmentation: swapAugmentation, swapAveraging: swapAveraging, calibrate: calibration, edgeCases: edgeCases,
            evaluationsPerEpoch: evaluationsPerEpoch, patience: patience, plateauPatience: plateauPatience, plateauFactor: plateauFactor,
            validationFraction: validationFraction, seed: seed)
    }

    func validate() throws {
        let settings = try settings()
        do { try settings.validate() } catch { throw ValidationError(CommandLineErrors.settingMessage(error) ?? error.description) }
        guard folds >= 1 else { throw ValidationError("--folds must be at least 1 (got \(folds))") }
        guard clipNorm >= 0 else { throw ValidationError("--clip-norm must not be negative") }
        guard checkpointSeconds >= 0 else { throw ValidationError("--checkpoint-seconds must not be negative") }
    }

    func run() throws {
        let logger = global.makeLogger("finetune")
        RuntimeWarnings.log(logger, bfloat16: precision == .bfloat16)
        let device = try libtorch.prepare()
        let settings = try settings()
        do { try settings.validate(for: device) } catch { throw ValidationError(CommandLineErrors.settingMessage(error) ?? error.description) }
        // Fail on the model folder before reading the data.
        _ = try FinetuneTraining.prepare(settings: settings)
        let battles = try DataLoading.training(path: data, strict: strict, logger: logger)
        guard !battles.isEmpty else { throw TrainingError.noRows(path: data) }
        try CrossValidation.requireEveryClass(battles, path: data)
        let started = Date()
        var config = RunConfig(
            kind: settings.architecture == .pair ? .pair : .cross, data: data, rows: battles.count, folds: folds, seed: seed,
            createdAt: ISO8601DateFormatter().string(from: started), dataFingerprint: RunConfig.fingerprint(of: battles))
        try config.setFinetuneSettings(settings)
        let training = TrainingRun(config: config, out: out, overwrite: overwrite, resume: resume, inputs: [data, model])
        let (trained, run) = try training.execute(log: { logger.info("\($0)") }) { run in
            try FinetuneTraining.train(
                battles: battles, settings: settings, folds: folds, run: run, device: device, checkpointSeconds: checkpointSeconds,
                log: { logger.info("\($0)") },
                progress: { event in
                    var line = String(
                        format: "fold %d/%d step %d/%d (epoch %.2f): loss %.4f, lr %.2e, %.1f battles/s", event.fold + 1, folds, event.step,
                        event.totalSteps, event.epoch, event.trainingLoss, event.learningRate, event.examplesPerSecond)
                    if let validation = event.validationLoss { line += String(format: ", validation log loss %.5f", validation) }
                    let done = Double(event.step) / Double(max(event.totalSteps, 1))
                    if done > 0, done < 1 {
                        line += ", ETA \(ProgressClock.format(event.elapsed * (1 - done) / done)) for this fold"
                    }
                    logger.info("\(line)")
                }).0
        }
        print(
            String(
                format: "validation log loss %.5f, accuracy %.4f over %d rows (%@); run saved to %@", trained.metrics.oofLogLoss,
                trained.metrics.oofAccuracy, trained.rows, ProgressClock.format(Date().timeIntervalSince(started)), run.path))
    }
}

// Enum-like options: --help lists the values and the parser refuses any other.
extension ClassifierArchitecture: ExpressibleByArgument {}
extension TurnSelection: ExpressibleByArgument {}
extension PairFormat: ExpressibleByArgument {}
extension LearningRateSchedule.Shape: ExpressibleByArgument {}
