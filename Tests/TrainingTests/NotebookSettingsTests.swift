import ArenaData
import Foundation
import Models
import Testing
import Torch

@testable import Finetuning
@testable import Prediction
@testable import Runs

/// The reference notebooks' own settings (issue 14): the KerasNLP starter's per-epoch schedule,
/// S3's fixed temperature, a learning rate of its own for the new head, the presets.
@Suite struct EpochRampScheduleTests {
    /// The notebook's `get_lr_callback(16, mode)` evaluated in Python for epochs 0 to 7 (its
    /// function copied verbatim into the doc comment of LearningRateSchedule).
    static let notebook: [LearningRateSchedule.Shape: [Double]] = [
        .rampCosine: [1e-06, 5.299999999999999e-06, 9.6e-06, 9.425819786542339e-06, 8.917390191174079e-06, 8.115901155964726e-06,
                      7.086284555908111e-06, 5.911953804575125e-06],
        .rampExponential: [1e-06, 5.299999999999999e-06, 9.6e-06, 7.879999999999999e-06, 6.504e-06, 5.4032e-06, 4.52256e-06, 3.818048e-06],
        .rampStep: [1e-06, 5.299999999999999e-06, 9.6e-06, 9.6e-06, 7.68e-06, 7.68e-06, 6.144000000000001e-06, 6.144000000000001e-06],
    ]

    @Test(arguments: [LearningRateSchedule.Shape.rampCosine, .rampExponential, .rampStep])
    func matchesTheNotebookFunction(shape: LearningRateSchedule.Shape) throws {
        let expected = try #require(Self.notebook[shape])
        // 5 optimizer steps per epoch: the rate changes at epoch boundaries only.
        let schedule = LearningRateSchedule(peak: 0.6e-6 * 16, warmupSteps: 3, totalSteps: 40, shape: shape, stepsPerEpoch: 5)
        for (epoch, rate) in expected.enumerated() {
            for step in epoch * 5..<(epoch + 1) * 5 {
                #expect(abs(schedule.rate(at: step) - rate) <= 1e-15 * rate, "\(shape) step \(step): \(schedule.rate(at: step)) vs \(rate)")
            }
        }
        #expect(abs(schedule.factor(at: 10) * schedule.peak - expected[2]) <= 1e-15 * expected[2])
    }

    /// A ramp of its own: start 2e-6 over 3 epochs to 8e-6, cosine horizon 4.
    @Test func rampSettingsAreUsed() {
        let ramp = LearningRateSchedule.EpochRamp(start: 2e-6, epochs: 3, decay: 0.5, horizon: 4)
        let cosine = LearningRateSchedule(peak: 8e-6, warmupSteps: 0, totalSteps: 10, shape: .rampCosine, stepsPerEpoch: 1, ramp: ramp)
        #expect(abs(cosine.rate(at: 1) - 4e-6) < 1e-20)  // (8 - 2) / 3 x 1 + 2
        #expect(abs(cosine.rate(at: 3) - 8e-6) < 1e-20)
        // Epoch 5: index 2 of a decay over 4 - 3 + 3 = 4 epochs: cos(pi / 2) = 0, half way to the floor.
        #expect(abs(cosine.rate(at: 5) - 5e-6) < 1e-18)
        let exponential = LearningRateSchedule(peak: 8e-6, warmupSteps: 0, totalSteps: 10, shape: .rampExponential, stepsPerEpoch: 1, ramp: ramp)
        #expect(abs(exponential.rate(at: 4) - (6e-6 * 0.5 + 2e-6)) < 1e-20)
    }
}

@Suite(.serialized) struct NotebookTrainingTests {
    func settings(model: String) -> FinetuneSettings {
        FinetuneSettings(
            architecture: .cross, model: model, maxLength: 48, batchSize: 8, epochs: 3, learningRate: 3e-3, warmupFraction: 0,
            labelSmoothing: 0, headDropout: 0, swapAveraging: true, calibrate: false, edgeCases: false, evaluationsPerEpoch: 1,
            validationFraction: 0.25, seed: 4)
    }

    /// Training follows the ramp: every step's rate is the notebook's rate of its epoch.
    @Test func trainingStepsFollowTheEpochRamp() throws {
        try LibTorch.setThreadCount(1)
        var config = settings(model: try TinyBert.make())
        config.schedule = .rampExponential
        config.learningRate = 4e-3
        config.epochRamp = LearningRateSchedule.EpochRamp(start: 1e-3, epochs: 1, decay: 0.5, horizon: 10)
        let result = try FinetuneTraining.run(battles: markedBattles(48), settings: config, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        // 36 training rows, batches of 8: 5 steps per epoch.
        #expect(result.records.count == 15)
        for record in result.records {
            let epoch = (record.step - 1) / 5
            let expected = [1e-3, 4e-3, 3e-3 * 0.5 + 1e-3][epoch]
            #expect(abs(record.learningRate - expected) < 1e-15, "step \(record.step): \(record.learningRate)")
        }
    }

    /// A fixed temperature (S3's 0.85) scales the predictions a run without one makes, and the
    /// run keeps it to apply when predicting.
    @Test func fixedTemperatureIsAppliedNotFitted() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        let battles = markedBattles(40)
        var config = settings(model: model)
        config.epochs = 1
        let plain = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        config.fixedTemperature = 0.85
        let run = try temporaryRunFolder()
        let fixed = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: run, resume: false, device: .cpu)
        #expect(fixed.artifact.temperature == TemperatureScaling(temperature: 0.85))
        #expect(fixed.predictions == TemperatureScaling(temperature: 0.85).apply(plain.predictions))
        #expect(fixed.stepLogLoss.map(\.step) == ["model", "calibrated"])
        let predicted = try FinetuneTraining.predict(battles: fixed.validatedBattles, artifact: fixed.artifact, runPath: run.stagingPath, device: .cpu)
        for (row, expected) in zip(predicted, fixed.predictions) {
            for k in 0..<3 { #expect(abs(row[k] - expected[k]) < 1e-6) }
        }
        config.calibrate = true
        #expect(throws: TrainingError.setting(name: "fixedTemperature", problem: "replaces the fitted temperature: turn calibration off with it")) {
            try config.validate()
        }
    }

    /// A head learning rate of its own: with the encoder's rate near zero, the encoder keeps its
    /// pretrained weights while the new classifier trains; the optimizer groups say why.
    @Test func headLearningRateTrainsOnlyTheNewHead() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make(dropout: 0)
        var config = settings(model: model)
        config.epochs = 1
        config.learningRate = 1e-12
        config.headLearningRate = 5e-2
        let run = try temporaryRunFolder()
        _ = try FinetuneTraining.run(battles: markedBattles(40), settings: config, folds: 1, run: run, resume: false, device: .cpu)
        let pretrained = try SafetensorsFile(path: model + "/model.safetensors")
        let trained = try SafetensorsFile(path: run.file("fold-0.safetensors"))
        let embedding = try trained.tensor("bert.embeddings.position_embeddings.weight").floats()
        let original = try pretrained.tensor("embeddings.position_embeddings.weight").floats()
        let encoderChange = zip(embedding, original).map { abs($0 - $1) }.max() ?? 0
        #expect(encoderChange < 1e-6, "the encoder moved by \(encoderChange)")
        // Without the head's rate the same run leaves the head where it started (the same seed
        // draws the same initial head): the head moved only by its own rate.
        var frozen = config
        frozen.headLearningRate = nil
        let frozenRun = try temporaryRunFolder()
        _ = try FinetuneTraining.run(battles: markedBattles(40), settings: frozen, folds: 1, run: frozenRun, resume: false, device: .cpu)
        let head = try trained.tensor("classifier.weight").floats()
        let initialHead = try SafetensorsFile(path: frozenRun.file("fold-0.safetensors")).tensor("classifier.weight").floats()
        let headChange = zip(head, initialHead).map { abs($0 - $1) }.max() ?? 0
        #expect(headChange > 1e-2, "the head moved by \(headChange)")

        // The groups: decayed and undecayed encoder parameters at the base rate, then the head's.
        let classifier = try PreferenceClassifier(folder: try ModelFolder(path: model), architecture: .cross, vocabularySize: 80, seed: 1)
        let report = try classifier.loadPretrainedEncoder(from: try ModelFolder(path: model))
        #expect(report.missing.contains("classifier.weight"))
        let runner = ClassifierRunner(classifier: classifier, paddingID: 0, device: .cpu, precision: .float32)
        let trainer = FoldTrainer(settings: config, runner: runner, fold: 0, newParameters: Set(report.missing))
        let (groups, peaks) = try trainer.parameterGroups()
        #expect(peaks == [1e-12, 1e-12, 5e-2, 5e-2])
        #expect(groups.map(\.parameters.count).reduce(0, +) == classifier.namedParameters.count)
        #expect(groups[2].parameters.count + groups[3].parameters.count == report.missing.count)
        config.headLearningRate = 0
        #expect(throws: TrainingError.self) { try config.validate() }
    }
}

@Suite struct FinetunePresetTests {
    /// Every preset is valid, records its name, and sets what its notebook does.
    @Test func presetsHoldTheNotebooksSettings() throws {
        for preset in FinetunePreset.allCases {
            let settings = preset.settings(model: "m")
            #expect(throws: Never.self) { try settings.validate() }
            #expect(settings.preset == preset.rawValue && settings.model == "m")
        }
        let s1 = FinetunePreset.sharedEncoder.settings(model: "m")
        #expect(s1.architecture == .pair && s1.maxLength == 512 && s1.batchSize == 16 && s1.epochs == 3)
        #expect(s1.schedule == .rampCosine && s1.learningRate == 0.6e-6 * 16 && s1.epochRamp == .keras && s1.labelSmoothing == 0.02)
        let s2 = FinetunePreset.sharedEncoderSep.settings(model: "m")
        #expect(s2.pairFormat == .sep && s2.textCleanup && s2.maxLength == 128 && s2.batchSize == 32 && s2.headDropout == 0.5)
        #expect(s2.weightDecay == 0.01 && s2.labelSmoothing == 0.1 && s2.patience == 2 && s2.plateauPatience == 1 && s2.validationFraction == 0.1)
        let s3 = FinetunePreset.sharedEncoderFeatures.settings(model: "m")
        #expect(s3.numericFeatures?.projectionWidth == 512 && s3.numericFeatures?.hiddenWidth == 256 && s3.dropDuplicates)
        #expect(s3.headWeightNoise == 1e-4 && s3.fixedTemperature == 0.85 && !s3.calibrate && s3.learningRate == 1e-6 && s3.clipNorm == 1 && s3.labelSmoothing == 0.1)
        let s4 = FinetunePreset.crossEncoder.settings(model: "m")
        #expect(s4.architecture == .cross && s4.turns == .all && s4.maxLength == 512 && s4.learningRate == 2e-5)
        #expect(s4.weightDecay == 0.01 && s4.warmupFraction == 0.1 && s4.schedule == .linear)
    }
}
