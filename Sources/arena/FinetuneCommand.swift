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

            Presets (--preset NAME; options given with it override its values; README, "Presets", \
            maps them to the notebooks):

            """ + FinetuneCommand.presetHelp
    )

    @Option(help: "Labelled training data (Kaggle train.csv schema, or .jsonl).")
    var data: String

    @Option(help: "The pretrained Hugging Face model folder.")
    var model: String

    @Option(help: "The run folder to write.")
    var out: String

    @Option(help: ArgumentHelp("Start from every setting of one reference notebook: \(FinetunePreset.allCases.map(\.rawValue).joined(separator: ", ")) (listed below); options given with it override its values.", valueName: "name"))
    var preset: FinetunePreset?

    @Option(help: "cross (prompt and both responses in one sequence) or pair (one shared encoder per side). Default cross.")
    var architecture: ClassifierArchitecture?

    @Option(help: "Tokens per sequence (default 256).")
    var maxLength: Int?

    @Option(help: "Which turns (default first).")
    var turns: TurnSelection?

    @Option(help: "pair: how prompt and response share a sequence: template (\"Prompt: ...\\n\\nResponse: ...\", S1; default) or sep ([CLS] prompt [SEP] response [SEP], S2).")
    var pairFormat: PairFormat?

    @Flag(inversion: .prefixedNo, help: "Collapse whitespace and drop non-ASCII characters before tokenizing (S2; default off).")
    var textCleanup: Bool?

    @Flag(inversion: .prefixedNo, help: "pair: add S3's 14 turn-length statistics per side through a feature branch (default off).")
    var numericFeatures: Bool?

    @Option(help: "With --numeric-features: widths of the per-side projection and of the joint layer (default 512,256).")
    var featureWidths: String?

    @Flag(inversion: .prefixedNo, help: "Drop repeated battles (same prompt and responses) before training (S3; default off).")
    var dropDuplicates: Bool?

    @Option(help: "Battles per forward pass (default 8).")
    var batchSize: Int?

    @Option(help: "Forward passes per optimizer step (gradient accumulation): a step sees batch-size x accumulate battles (default 1).")
    var accumulate: Int?

    @Option(help: "Passes over the training rows (default 1).")
    var epochs: Int?

    @Option(help: "At most this many optimizer steps per fold.")
    var maxSteps: Int?

    @Option(help: "Peak learning rate (default 2e-05).")
    var learningRate: Double?

    @Option(help: "Learning rate of the new head (the parameters the checkpoint does not hold; default: --learning-rate).")
    var headLearningRate: Double?

    @Option(help: "AdamW weight decay, not on biases and LayerNorms (default 0.01).")
    var weightDecay: Double?

    @Option(help: "Share of the steps spent warming up (default 0.1; not used by the ramp-* schedules).")
    var warmup: Double?

    @Option(help: "linear, cosine, constant: decay after the warm-up, by step (default linear); ramp-cosine, ramp-exponential, ramp-step: the KerasNLP starter's per-epoch ramp from --ramp-start to --learning-rate, then its decay.")
    var schedule: LearningRateSchedule.Shape?

    @Option(help: "ramp-* schedules: the first epoch's rate and the decay's floor (default 1e-06).")
    var rampStart: Double?

    @Option(help: "ramp-* schedules: epochs of the ramp (default 2).")
    var rampEpochs: Int?

    @Option(help: "ramp-exponential, ramp-step: the decay factor (default 0.8).")
    var rampDecay: Double?

    @Option(help: "ramp-cosine: the notebook's `epochs` argument; the cosine ends 3 epochs after it (default 10, the notebook's).")
    var rampHorizon: Int?

    @Option(help: "Label smoothing of the cross-entropy (default 0).")
    var labelSmoothing: Double?

    @Option(help: "Clip the gradients' global norm to this (0: no clipping; default 1).")
    var clipNorm: Double?

    @Option(help: "Dropout before the classifier (default: the model config's).")
    var headDropout: Double?

    @Option(help: "float32 or bfloat16 (autocast; on CUDA also float16). Default float32.")
    var precision: Precision?

    @Option(help: "Cross-validation folds; 1 holds out --validation-fraction instead.")
    var folds = 1

    @Option(help: "With --folds 1, the stratified share of rows held out for validation (default 0.2).")
    var validationFraction: Double?

    @Option(help: "Validation passes per epoch (default 1).")
    var evaluationsPerEpoch: Int?

    @Option(help: "Stop a fold after this many validation passes without improvement.")
    var patience: Int?

    @Option(help: "Multiply the learning rate by --plateau-factor after this many validation passes without improvement (S2).")
    var plateauPatience: Int?

    @Option(help: "See --plateau-patience (default 0.5).")
    var plateauFactor: Double?

    @Option(help: "Divide the logits by this fixed temperature instead of fitting one (S3: 0.85); implies --no-calibration.")
    var temperature: Double?

    @Option(help: "Seed of the split, the head's initial weights, the batch order and dropout.")
    var seed: UInt64 = 0

    @OptionGroup var perturbation: WeightPerturbationOptions

    @OptionGroup var loraOptions: LoraOptions

    @Option(help: ArgumentHelp("Distil from a teacher: a prediction CSV (id, winner_model_a, winner_model_b, winner_tie; e.g. a larger model's out-of-fold predictions) with a row for every training battle; the loss mixes the cross-entropy with the KL divergence to it.", valueName: "file"))
    var teacher: String?

    @Option(help: "With --teacher: the weight of the KL term in (0, 1]; the cross-entropy gets 1 minus it (default 0.5).")
    var teacherWeight: Double?

    @OptionGroup var libtorch: LibTorchOptions

    @Option(help: "Save the running fold's state at least this often (seconds).")
    var checkpointSeconds = 300.0

    @Flag(inversion: .prefixedNo, help: "Train on A/B-swapped copies too (doubles the steps; default off).")
    var swapAugmentation: Bool?

    @Flag(inversion: .prefixedNo, help: "Average each prediction with the swapped battle's (default on).")
    var swapAveraging: Bool?

    @Flag(inversion: .prefixedNo, help: "Fit a temperature on the validation predictions (default on).")
    var calibration: Bool?

    @Flag(inversion: .prefixedNo, help: "Consider fixed answers for identical and empty responses (default on).")
    var edgeCases: Bool?

    @Flag(help: "Replace an existing run folder.")
    var overwrite = false

    @Flag(help: "Continue an interrupted run from OUT.partial.")
    var resume = false

    @Flag(help: "Stop at the first row whose text cells do not decode, instead of skipping it.")
    var strict = false

    @OptionGroup var global: GlobalOptions

    /// The settings: the preset's (or the defaults), then every option given.
    func settings() throws -> FinetuneSettings {
        var settings = preset?.settings(model: model) ?? FinetuneSettings(architecture: architecture ?? .cross, model: model)
        func set<Value>(_ value: Value?, _ path: WritableKeyPath<FinetuneSettings, Value>) {
            if let value { settings[keyPath: path] = value }
        }
        set(architecture, \.architecture)
        set(maxLength, \.maxLength)
        set(turns, \.turns)
        set(pairFormat, \.pairFormat)
        set(textCleanup, \.textCleanup)
        set(dropDuplicates, \.dropDuplicates)
        set(batchSize, \.batchSize)
        set(accumulate, \.accumulation)
        set(epochs, \.epochs)
        if let maxSteps { settings.maxSteps = maxSteps }
        set(learningRate, \.learningRate)
        if let headLearningRate { settings.headLearningRate = headLearningRate }
        set(weightDecay, \.weightDecay)
        set(warmup, \.warmupFraction)
        set(schedule, \.schedule)
        if rampStart != nil || rampEpochs != nil || rampDecay != nil || rampHorizon != nil {
            var ramp = settings.epochRamp ?? .keras
            if let rampStart { ramp.start = rampStart }
            if let rampEpochs { ramp.epochs = rampEpochs }
            if let rampDecay { ramp.decay = rampDecay }
            if let rampHorizon { ramp.horizon = rampHorizon }
            settings.epochRamp = ramp
        }
        set(labelSmoothing, \.labelSmoothing)
        if let clipNorm { settings.clipNorm = clipNorm > 0 ? clipNorm : nil }
        if let headDropout { settings.headDropout = headDropout }
        set(precision, \.precision)
        set(validationFraction, \.validationFraction)
        set(evaluationsPerEpoch, \.evaluationsPerEpoch)
        if let patience { settings.patience = patience }
        if let plateauPatience { settings.plateauPatience = plateauPatience }
        set(plateauFactor, \.plateauFactor)
        set(swapAugmentation, \.swapAugmentation)
        set(swapAveraging, \.swapAveraging)
        set(edgeCases, \.edgeCases)
        // A fitted and a fixed temperature exclude each other: --temperature turns fitting off,
        // --calibration alone replaces a preset's fixed temperature by a fitted one.
        if let temperature {
            settings.fixedTemperature = temperature
            settings.calibrate = calibration ?? false
        } else if let calibration {
            settings.calibrate = calibration
            if calibration { settings.fixedTemperature = nil }
        }
        var widths = (projection: 512, hidden: 256)
        if let featureWidths {
            let parts = featureWidths.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let projection = parts[0], let hidden = parts[1] else {
                throw ValidationError("--feature-widths must be two integers such as 512,256, not \(featureWidths)")
            }
            widths = (projection, hidden)
        }
        if numericFeatures == false { settings.numericFeatures = nil }
        if numericFeatures == true || (featureWidths != nil && settings.numericFeatures != nil) {
            settings.numericFeatures = NumericFeatureHead(count: FeatureScaling.count, projectionWidth: widths.projection, hiddenWidth: widths.hidden)
        }
        perturbation.apply(to: &settings)
        loraOptions.apply(to: &settings)
        if let teacher {
            do { settings.distillation = try Distillation(teacher: teacher, weight: teacherWeight ?? 0.5) } catch {
                throw ValidationError("--teacher \(teacher): \(error.description)")
            }
        } else if teacherWeight != nil {
            throw ValidationError("--teacher-weight needs --teacher FILE")
        }
        settings.seed = seed
        return settings
    }

    func validate() throws {
        let settings = try settings()
        do { try settings.validate() } catch { throw ValidationError(CommandLineErrors.settingMessage(error) ?? error.description) }
        guard folds >= 1 else { throw ValidationError("--folds must be at least 1 (got \(folds))") }
        guard (clipNorm ?? 0) >= 0 else { throw ValidationError("--clip-norm must not be negative") }
        guard checkpointSeconds >= 0 else { throw ValidationError("--checkpoint-seconds must not be negative") }
    }

    func run() throws {
        let logger = global.makeLogger("finetune")
        let settings = try settings()
        RuntimeWarnings.log(logger, bfloat16: settings.precision == .bfloat16)
        let device = try libtorch.prepare()
        if let preset { logger.info("preset \(preset.rawValue) (\(preset.notebook)): \(FinetuneCommand.optionList(settings).joined(separator: " "))") }
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
extension FinetunePreset: ExpressibleByArgument {}
