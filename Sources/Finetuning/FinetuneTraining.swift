import ArenaData
import Evaluation
import Foundation
import Models
import Prediction
import Runs
import Tokenizers
import Torch

/// The fitted transformer model of a run, saved as `model.json`; the fold weights are
/// `fold-K.safetensors` and `model/` holds config.json and the tokenizer files.
public struct FinetuneArtifact: Codable, Sendable {
    public var settings: FinetuneSettings
    public var modelType: String
    /// Token ids the embeddings hold (the tokenizer's and the added markers).
    public var vocabularySize: Int
    public var folds: Int
    /// Per fold, the optimizer step whose weights were kept.
    public var bestSteps: [Int]
    public var temperature: TemperatureScaling?
    public var edgeCases: EdgeCaseRules?
    /// The standardisation of S3's numeric features (runs with numeric features).
    public var featureScaling: FeatureScaling?
    /// LoRA runs: the pretrained folder whose frozen weights the adapters of `fold-K.safetensors`
    /// go on, as an absolute path (the fold files hold only the adapters and the head).
    public var baseModel: String?

    /// A LoRA run's peft adapter folder for a fold (adapter_config.json, adapter_model.safetensors).
    public static func adapterFolder(fold: Int) -> String { "fold-\(fold).adapter" }
    /// A LoRA run's merged model for a fold, with `--lora-export-merged`.
    public static func mergedFolder(fold: Int) -> String { "fold-\(fold).merged" }

    public static func weightsFile(fold: Int) -> String { "fold-\(fold).safetensors" }
    public static let modelFolder = "model"
    /// Tokenizer files copied from the pretrained folder.
    static let tokenizerFiles = [
        "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "spm.model", "tokenizer.model",
    ]
}

/// The outcome of `arena finetune`.
public struct FinetuneRunResult {
    public var artifact: FinetuneArtifact
    /// The rows that have a validation prediction (all rows with k folds; the held-out share
    /// with one; indices after dropping duplicates), the battles themselves, their fold and
    /// their final predictions.
    public var validatedRows: [Int]
    public var validatedBattles: [Battle]
    public var folds: [Int]
    public var predictions: [WinnerProbabilities]
    public var metrics: RunMetrics
    public var stepLogLoss: [(step: String, logLoss: Double)]
    public var records: [StepRecord]

    /// training.csv: fold, step, learning_rate, training_loss, validation_loss (empty between
    /// validation passes), seconds (the step's wall time).
    public var trainingCSV: String {
        var writer = CSVWriter()
        writer.write(["fold", "step", "learning_rate", "training_loss", "validation_loss", "seconds"])
        for record in records {
            writer.write([
                String(record.fold), String(record.step), String(record.learningRate), String(record.trainingLoss),
                record.validationLoss.map { String($0) } ?? "", record.seconds.map { String(format: "%.4f", $0) } ?? "",
            ])
        }
        return writer.take()
    }
}

public enum FinetuneTraining {
    /// Loads the pretrained folder, its tokenizer and the battle encoder.
    public static func prepare(settings: FinetuneSettings, featureScaling: FeatureScaling? = nil) throws -> (folder: ModelFolder, encoder: BattleEncoder) {
        let folder = try ModelFolder(path: settings.model)
        try folder.checkSequenceLength(settings.maxLength)
        let tokenizer = try TokenizerLoader.load(folder: settings.model)
        return (folder, try encoder(tokenizer: tokenizer, folder: folder, settings: settings, featureScaling: featureScaling))
    }

    /// The battle encoder for `folder`'s model: a decoder's cross sequences in the chat layout.
    static func encoder(tokenizer: any Tokenizer, folder: ModelFolder, settings: FinetuneSettings, featureScaling: FeatureScaling?) throws -> BattleEncoder {
        try BattleEncoder(
            tokenizer: tokenizer, architecture: settings.architecture, maxLength: settings.maxLength, turns: settings.turns,
            pairFormat: settings.pairFormat, textCleanup: settings.textCleanup, featureScaling: featureScaling,
            crossLayout: folder.family.isDecoder ? .chat(prefix: tokenizer.sequencePrefix) : .markers)
    }

    /// Fine-tunes `settings.model` on `battles`: k folds (or one stratified hold-out split when
    /// `folds` is 1), each trained by ``FoldTrainer`` from the pretrained weights; then a
    /// temperature and the edge-case rules fitted on the validation predictions. Finished folds
    /// and the state of the running fold stay in the staging folder, so `resume` continues.
    public static func run(
        battles: [Battle], settings: FinetuneSettings, folds foldCount: Int, run: RunFolder, resume: Bool, device: Device,
        checkpointSeconds: Double = 300, log: (String) -> Void = { _ in }, progress: @escaping (FinetuneProgress) -> Void = { _ in },
        shouldStop: @escaping (Int, Int) -> Bool = { _, _ in false }
    ) throws -> FinetuneRunResult {
        try settings.validate()
        var battles = battles
        if settings.dropDuplicates {
            let kept = Duplicates.firstOccurrences(battles)
            if kept.count < battles.count { log("dropped \(battles.count - kept.count) repeated battles (same prompt and responses)") }
            battles = kept.map { battles[$0] }
        }
        let kfold = try KFold(
            labels: try KFold.labels(of: battles), folds: foldCount, seed: settings.seed, holdoutFraction: settings.validationFraction)
        let labels = kfold.labels
        let featureScaling = settings.numericFeatures.map { _ in FeatureScaling.fit(battles) }
        let teacher = try settings.distillation?.probabilities(for: battles)
        let (folder, encoder) = try prepare(settings: settings, featureScaling: featureScaling)
        let baseModel = URL(fileURLWithPath: folder.path).standardizedFileURL.path
        let started = Date()
        let encoded = try encoder.encodeAll(battles, swapped: settings.swapAugmentation || settings.swapAveraging)
        let tokens = encoded.reduce(0) { $0 + $1.direct.sequences.reduce(0) { $0 + $1.count } }
        log("tokenized \(battles.count) battles (\(tokens) tokens, \(settings.architecture.rawValue), max length \(settings.maxLength)) in \(ProgressClock.format(Date().timeIntervalSince(started)))")
        try writeModelFolder(from: folder, vocabularySize: encoder.vocabularySize,
                             paddingID: folder.family.isDecoder ? encoder.tokenizer.specialTokens.padding : nil,
                             to: run.file(FinetuneArtifact.modelFolder))

        let result = try withoutActuallyEscaping(log) { log in
            try kfold.run(
                FinetuneFoldFitter(
                    settings: settings, folds: foldCount, folder: folder, encoder: encoder, encoded: encoded, labels: labels, teacher: teacher,
                    baseModel: settings.lora == nil ? nil : baseModel, run: run,
                    resume: resume, device: device, checkpointSeconds: checkpointSeconds, log: log, progress: progress,
                    shouldStop: shouldStop))
        }
        let outcomes = result.outcomes
        let validatedRows = result.rows
        let rowFolds = result.folds
        let predictions = result.predictions
        let validatedLabels = validatedRows.map { labels[$0] }
        let validatedBattles = validatedRows.map { battles[$0] }

        let post = try PostProcessing.fit(
            predictions: predictions, battles: validatedBattles, labels: validatedLabels, folds: rowFolds,
            temperature: settings.fixedTemperature.map(TemperatureChoice.fixed) ?? (settings.calibrate ? .fitted : .none),
            edgeCases: settings.edgeCases)
        let metrics = try post.metrics(labels: validatedLabels, folds: rowFolds)
        let artifact = FinetuneArtifact(
            settings: settings, modelType: folder.modelType, vocabularySize: encoder.vocabularySize, folds: foldCount,
            bestSteps: outcomes.map(\.bestStep), temperature: post.temperature, edgeCases: post.edgeCases,
            featureScaling: featureScaling, baseModel: settings.lora == nil ? nil : baseModel)
        return FinetuneRunResult(
            artifact: artifact, validatedRows: validatedRows, validatedBattles: validatedBattles, folds: rowFolds,
            predictions: post.predictions, metrics: metrics, stepLogLoss: post.steps, records: outcomes.flatMap(\.records))
    }

    /// Fine-tunes as a run (what `arena finetune` does inside ``TrainingRun``): ``run(battles:settings:folds:run:resume:device:checkpointSeconds:log:progress:shouldStop:)``,
    /// then model.json, the model folder, the fold weights and training.csv in `run`, the fold
    /// states removed; `log` also gets the loss after each post-processing step and the
    /// temperature.
    public static func train(
        battles: [Battle], settings: FinetuneSettings, folds: Int, run: RunFolder, device: Device, checkpointSeconds: Double = 300,
        log: (String) -> Void = { _ in }, progress: @escaping (FinetuneProgress) -> Void = { _ in },
        shouldStop: @escaping (Int, Int) -> Bool = { _, _ in false }
    ) throws -> (TrainedRun, FinetuneRunResult) {
        let result = try self.run(
            battles: battles, settings: settings, folds: folds, run: run, resume: run.resumed, device: device,
            checkpointSeconds: checkpointSeconds, log: log, progress: progress, shouldStop: shouldStop)
        for step in result.stepLogLoss {
            log("validation log loss, \(step.step): \(String(format: "%.5f", step.logLoss))")
        }
        if let temperature = result.artifact.temperature {
            log("temperature \(String(format: "%.3f", temperature.temperature))")
        }
        try run.write(result.trainingCSV, to: "training.csv")
        try run.writeJSON(result.artifact, to: "model.json")
        removeCheckpoints(folds: folds, run: run)
        let trained = TrainedRun(metrics: result.metrics, battles: result.validatedBattles, folds: result.folds, predictions: result.predictions)
        return (trained, result)
    }

    /// Removes the fold outcomes and states from a finished run's staging folder.
    public static func removeCheckpoints(folds: Int, run: RunFolder) {
        for fold in 0..<folds {
            for name in [FinetuneFoldFitter.outcomeFile(fold: fold), "fold-\(fold).state", "fold-\(fold).state.old", "fold-\(fold).state.new"] {
                try? FileManager.default.removeItem(atPath: run.file(name))
            }
        }
    }

    /// `model/` of a run: the pretrained config.json with the embeddings' new vocab_size (and, for
    /// a decoder, `pad_token_id` set to the id its batches are padded with, so that
    /// transformers' `*ForSequenceClassification` reads the same token), and the tokenizer files.
    static func writeModelFolder(from folder: ModelFolder, vocabularySize: Int, paddingID: Int? = nil, to destination: String) throws {
        let manager = FileManager.default
        do { try manager.createDirectory(atPath: destination, withIntermediateDirectories: true) } catch {
            throw TrainingError.io(DataError.writeFailed(path: destination, reason: error.localizedDescription))
        }
        guard let data = manager.contents(atPath: folder.configFile),
              var config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            throw TrainingError.io(DataError.writeFailed(path: folder.configFile, reason: "cannot read it back"))
        }
        config["vocab_size"] = max(vocabularySize, config["vocab_size"] as? Int ?? 0)
        if let paddingID { config["pad_token_id"] = paddingID }
        let output: Data
        do { output = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]) } catch {
            throw TrainingError.io(DataError.writeFailed(path: destination + "/config.json", reason: "\(error)"))
        }
        do { try AtomicFile.write(Array(output) + [0x0A], to: destination + "/config.json") } catch { throw TrainingError.io(error) }
        for name in FinetuneArtifact.tokenizerFiles {
            let source = (folder.path as NSString).appendingPathComponent(name)
            guard manager.fileExists(atPath: source) else { continue }
            let target = destination + "/" + name
            guard let bytes = manager.contents(atPath: source) else {
                throw TrainingError.io(DataError.writeFailed(path: source, reason: "cannot read it"))
            }
            do { try AtomicFile.write(Array(bytes), to: target) } catch { throw TrainingError.io(error) }
        }
    }

    /// Predicts `battles` with a finished fine-tuned run (see ``FinetunedModel``).
    public static func predict(
        battles: [Battle], artifact: FinetuneArtifact, runPath: String, device: Device, batchSize: Int? = nil,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [WinnerProbabilities] {
        try FinetunedModel(artifact: artifact, runPath: runPath, device: device).predict(battles, batchSize: batchSize, progress: progress)
    }
}

/// A finished fine-tuned run loaded once (tokenizer, encoder settings and every fold model) to
/// score many batches of battles: each fold model (swap-averaged when the run was), their
/// mean, then the run's temperature and edge-case rules.
public final class FinetunedModel {
    public let artifact: FinetuneArtifact
    let encoder: BattleEncoder
    let runners: [ClassifierRunner]

    public init(artifact: FinetuneArtifact, runPath: String, device: Device) throws {
        self.artifact = artifact
        let modelPath = runPath + "/" + FinetuneArtifact.modelFolder
        let folder = try ModelFolder(path: modelPath)
        let tokenizer = try TokenizerLoader.load(folder: modelPath)
        guard (artifact.settings.numericFeatures == nil) == (artifact.featureScaling == nil) else {
            throw RunError.corruptRun(path: runPath + "/model.json", reason: "numeric features without their scaling, or the reverse")
        }
        encoder = try FinetuneTraining.encoder(tokenizer: tokenizer, folder: folder, settings: artifact.settings, featureScaling: artifact.featureScaling)
        guard encoder.vocabularySize == artifact.vocabularySize else {
            throw RunError.corruptRun(
                path: modelPath, reason: "the tokenizer gives \(encoder.vocabularySize) ids, the run was trained with \(artifact.vocabularySize)")
        }
        runners = try (0..<artifact.folds).map { fold in
            let lora = artifact.settings.lora
            let classifier = try PreferenceClassifier(
                folder: folder, architecture: artifact.settings.architecture, vocabularySize: artifact.vocabularySize,
                headDropout: artifact.settings.headDropout, numericFeatures: artifact.settings.numericFeatures,
                paddingID: tokenizer.specialTokens.padding, adapter: lora?.config, baseDType: lora?.baseDType ?? .float32,
                device: device)
            if lora != nil {
                guard let base = artifact.baseModel else {
                    throw RunError.corruptRun(path: runPath + "/model.json", reason: "a LoRA run without its base_model")
                }
                let baseFolder: ModelFolder
                do { baseFolder = try ModelFolder(path: base) } catch {
                    throw RunError.corruptRun(
                        path: runPath, reason: "its LoRA adapters go on the base model at \(base), which cannot be read (\(error)); was it moved?")
                }
                try classifier.loadPretrainedEncoder(from: baseFolder)
            }
            let weights = runPath + "/" + FinetuneArtifact.weightsFile(fold: fold)
            guard FileManager.default.fileExists(atPath: weights) else {
                throw RunError.corruptRun(path: weights, reason: "the file is missing; was the run copied whole?")
            }
            try classifier.loadWeights(file: weights)
            return ClassifierRunner(classifier: classifier, paddingID: tokenizer.specialTokens.padding, device: device, precision: artifact.settings.precision)
        }
    }

    /// P(A), P(B), P(tie) for each battle, in order.
    public func predict(_ battles: [Battle], batchSize: Int? = nil, progress: (Int, Int) -> Void = { _, _ in }) throws -> [WinnerProbabilities] {
        guard !battles.isEmpty else { return [] }
        let encoded = try encoder.encodeAll(battles, swapped: artifact.settings.swapAveraging)
        var foldPredictions: [[WinnerProbabilities]] = []
        for (fold, runner) in runners.enumerated() {
            foldPredictions.append(try runner.predict(encoded, batchSize: batchSize ?? artifact.settings.batchSize * 2))
            progress(fold + 1, runners.count)
        }
        return PostProcessing.apply(
            foldPredictions: foldPredictions, temperature: artifact.temperature, edgeCases: artifact.edgeCases, battles: battles)
    }
}

/// One fold of fine-tuning for ``KFold``: a classifier from the pretrained weights trained by
/// ``FoldTrainer``; its best weights and outcome saved in the staging folder, and the state of
/// a running fold kept there so that a resumed run continues it.
struct FinetuneFoldFitter: FoldFitter {
    let settings: FinetuneSettings
    let folds: Int
    let folder: ModelFolder
    let encoder: BattleEncoder
    let encoded: [EncodedBattle]
    let labels: [Int]
    let teacher: [WinnerProbabilities]?
    /// LoRA runs: the base folder's absolute path.
    let baseModel: String?
    let run: RunFolder
    let resume: Bool
    let device: Device
    let checkpointSeconds: Double
    let log: (String) -> Void
    let progress: (FinetuneProgress) -> Void
    let shouldStop: (Int, Int) -> Bool

    static func outcomeFile(fold: Int) -> String { "fold-\(fold).outcome.json" }

    func resumed(fold: Int, heldOut: [Int]) throws -> FoldOutcome? {
        let outcomeFile = Self.outcomeFile(fold: fold)
        guard resume, FileManager.default.fileExists(atPath: run.file(outcomeFile)),
            FileManager.default.fileExists(atPath: run.file(FinetuneArtifact.weightsFile(fold: fold)))
        else { return nil }
        let outcome = try RunFolder.readJSON(FoldOutcome.self, runPath: run.stagingPath, name: outcomeFile)
        guard outcome.validationPredictions.count == heldOut.count else {
            throw RunError.corruptRun(
                path: run.file(outcomeFile), reason: "\(outcome.validationPredictions.count) predictions for \(heldOut.count) validation rows")
        }
        log("fold \(fold + 1)/\(folds): finished earlier, kept")
        return outcome
    }

    func fit(fold: Int, training: [Int], heldOut validation: [Int]) throws -> FoldOutcome {
        let weightsFile = run.file(FinetuneArtifact.weightsFile(fold: fold))
        let classifier = try PreferenceClassifier(
            folder: folder, architecture: settings.architecture, vocabularySize: encoder.vocabularySize,
            headDropout: settings.headDropout, numericFeatures: settings.numericFeatures,
            paddingID: encoder.tokenizer.specialTokens.padding, adapter: settings.lora?.config,
            baseDType: settings.lora?.baseDType ?? .float32, device: device, seed: settings.seed &+ UInt64(fold))
        if settings.gradientCheckpointing { try classifier.enableGradientCheckpointing() }
        let report = try classifier.loadPretrainedEncoder(from: folder, seed: settings.seed)
        if fold == 0 {
            let adapters = report.missing.filter { !classifier.isHeadParameter($0) }
            let heads = report.missing.filter { classifier.isHeadParameter($0) }
            var head = heads.isEmpty ? "" : "; new: \(heads.joined(separator: ", "))"
            if !adapters.isEmpty {
                let trainable = try classifier.trainableParameters.reduce(0) { $0 + (try $1.tensor.elementCount) }
                head += "; LoRA: \(adapters.count) adapter tensors, \(trainable) trainable parameters"
            }
            log("\(settings.model): \(folder.modelType), \(try classifier.store.parameterCount()) parameters, \(report.loaded.count) tensors loaded\(head)")
        }
        let runner = ClassifierRunner(classifier: classifier, paddingID: encoder.tokenizer.specialTokens.padding, device: device, precision: settings.precision)
        let trainer = FoldTrainer(
            settings: settings, runner: runner, fold: fold, checkpointSeconds: checkpointSeconds,
            newParameters: Set(report.missing.filter { classifier.isHeadParameter($0) }), teacher: teacher)
        log("fold \(fold + 1)/\(folds): \(training.count) training rows\(settings.swapAugmentation ? " (+ swapped copies)" : ""), \(validation.count) validation rows")
        let stateFolder = run.file("fold-\(fold).state")
        if resume, let saved = try FoldTrainer.readState(folder: stateFolder) {
            log("fold \(fold + 1)/\(folds): resuming from step \(saved.step) (saved state in \(stateFolder))")
        }
        let outcome = try trainer.train(
            encoded: encoded, labels: labels, training: training, validation: validation, bestWeightsFile: weightsFile,
            stateFolder: stateFolder, resume: resume, progress: progress,
            shouldStop: { step in shouldStop(fold, step) })
        if let lora = settings.lora {
            // The fold's best adapters as peft saves them, for PeftModel.from_pretrained(base, folder).
            try classifier.loadWeights(file: weightsFile)
            var config = lora.config
            config.baseModelNameOrPath = baseModel
            try LoraAdapter.save(store: classifier.store, config: config, folder: run.file(FinetuneArtifact.adapterFolder(fold: fold)))
            if lora.exportMerged { try exportMerged(classifier, fold: fold) }
        }
        try run.writeJSON(outcome, to: Self.outcomeFile(fold: fold))
        try? FileManager.default.removeItem(atPath: run.file("fold-\(fold).state"))
        log(String(format: "fold %d/%d: best validation log loss %.5f at step %d (%@)", fold + 1, folds, outcome.bestLoss, outcome.bestStep,
                   ProgressClock.format(outcome.seconds)))
        return outcome
    }

    func predictions(of outcome: FoldOutcome) -> [WinnerProbabilities] { outcome.validationPredictions }

    /// `fold-K.merged`: the fold's adapters merged into the base (peft's `merge_and_unload`) as a
    /// Hugging Face `*ForSequenceClassification` folder: model.safetensors, config.json (the run's,
    /// with the class, the three labels and the padding id) and the tokenizer files.
    func exportMerged(_ classifier: PreferenceClassifier, fold: Int) throws {
        let folder = run.file(FinetuneArtifact.mergedFolder(fold: fold))
        try LoraAdapter.exportMerged(store: classifier.store, folder: folder)
        let source = run.file(FinetuneArtifact.modelFolder)
        guard let data = FileManager.default.contents(atPath: source + "/config.json"),
              var config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw TrainingError.io(DataError.writeFailed(path: source + "/config.json", reason: "cannot read it back")) }
        let names = ["llama": "Llama", "mistral": "Mistral", "qwen2": "Qwen2", "gemma": "Gemma", "gemma2": "Gemma2"]
        config["architectures"] = [(names[classifier.modelType] ?? "Llama") + "ForSequenceClassification"]
        config["id2label"] = ["0": "model_a", "1": "model_b", "2": "tie"]
        config["label2id"] = ["model_a": 0, "model_b": 1, "tie": 2]
        let output: Data
        do { output = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]) } catch {
            throw TrainingError.io(DataError.writeFailed(path: folder + "/config.json", reason: "\(error)"))
        }
        do { try AtomicFile.write(Array(output) + [0x0A], to: folder + "/config.json") } catch { throw TrainingError.io(error) }
        for name in FinetuneArtifact.tokenizerFiles where FileManager.default.fileExists(atPath: source + "/" + name) {
            guard let bytes = FileManager.default.contents(atPath: source + "/" + name) else { continue }
            do { try AtomicFile.write(Array(bytes), to: folder + "/" + name) } catch { throw TrainingError.io(error) }
        }
    }


}
