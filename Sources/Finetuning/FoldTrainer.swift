import ArenaData
import Evaluation
import Foundation
import Models
import Prediction
import Runs
import Torch

/// One optimizer step as training.csv records it.
public struct StepRecord: Codable, Sendable, Equatable {
    public var fold: Int
    public var step: Int
    public var learningRate: Double
    public var trainingLoss: Double
    public var validationLoss: Double?
    /// Wall time of the step: forward, backward, clipping and the optimizer (not validation).
    public var seconds: Double?
}

/// What a fold's training left: the best validation predictions and its history.
public struct FoldOutcome: Codable, Sendable {
    public var fold: Int
    /// Predictions of the validation rows (swap-averaged when set) by the best weights.
    public var validationPredictions: [WinnerProbabilities]
    public var bestStep: Int
    public var bestLoss: Double
    public var records: [StepRecord]
    /// Validation log loss at each evaluation, in order.
    public var evaluations: [Double]
    public var seconds: Double
}

/// The state of a fold between steps, saved with the weights and the optimizer so that an
/// interrupted fold resumes where it stopped.
struct FoldState: Codable {
    var fold: Int
    /// Optimizer steps done.
    var step: Int
    var bestStep: Int?
    var bestLoss: Double?
    var bestPredictions: [WinnerProbabilities]?
    var evaluationsWithoutImprovement: Int
    /// The factor ReduceLROnPlateau has brought the schedule down to (1 without it).
    var learningRateScale: Double = 1
    /// Evaluations without improvement since the last reduction.
    var plateauCount: Int = 0
    var records: [StepRecord]
    var evaluations: [Double]
    var seconds: Double
}

/// A progress event of fine-tuning.
public struct FinetuneProgress: Sendable {
    public var fold: Int
    public var step: Int
    public var totalSteps: Int
    public var epoch: Double
    public var learningRate: Double
    /// The mean training loss since the previous event.
    public var trainingLoss: Double
    public var validationLoss: Double?
    public var examplesPerSecond: Double
    public var elapsed: Double
}

/// Raised when the caller's `shouldStop` asks a fold to stop early (its state is saved first).
public struct FinetuneInterrupted: Error, Sendable {
    public var fold: Int
    public var step: Int
}

/// Fine-tunes one fold: AdamW with weight decay off for biases and LayerNorms, a warm-up and
/// decay schedule, cross-entropy with label smoothing, gradient clipping, autocast; validation
/// passes during training keep the best weights (`best` file) and stop early after `patience`
/// passes without improvement. The fold's state (weights, optimizer, step, history) is written
/// atomically to `stateFolder` at each validation pass and every `checkpointSeconds`.
public struct FoldTrainer {
    public var settings: FinetuneSettings
    public var runner: ClassifierRunner
    public var fold: Int
    public var checkpointSeconds: Double = 300
    /// The parameters the pretrained checkpoint did not hold (the new head: what
    /// `loadPretrainedEncoder` reports missing); they train at `settings.headLearningRate` when set.
    public var newParameters: Set<String>

    /// The teacher's probabilities by row of `encoded` (with ``FinetuneSettings/distillation``).
    public var teacher: [WinnerProbabilities]?

    public init(settings: FinetuneSettings, runner: ClassifierRunner, fold: Int, checkpointSeconds: Double = 300, newParameters: Set<String> = [],
                teacher: [WinnerProbabilities]? = nil) {
        self.teacher = teacher
        self.settings = settings
        self.runner = runner
        self.fold = fold
        self.checkpointSeconds = checkpointSeconds
        self.newParameters = newParameters
    }

    /// The optimizer's parameter groups, each with the peak rate the schedule scales: weight
    /// decay on weights, none on biases and norms; with a head learning rate, the new
    /// parameters in groups of their own.
    func parameterGroups() throws -> (groups: [ParameterGroup], peaks: [Double]) {
        let named = try classifier.trainableParameters
        guard let headRate = settings.headLearningRate else {
            let groups = ParameterGroup.decayGroups(named: named, learningRate: settings.learningRate, weightDecay: settings.weightDecay)
            return (groups, groups.map { _ in settings.learningRate })
        }
        let body = ParameterGroup.decayGroups(
            named: named.filter { !newParameters.contains($0.name) }, learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        let head = ParameterGroup.decayGroups(
            named: named.filter { newParameters.contains($0.name) }, learningRate: headRate, weightDecay: settings.weightDecay)
        return (body + head, body.map { _ in settings.learningRate } + head.map { _ in headRate })
    }

    var classifier: PreferenceClassifier { runner.classifier }

    /// The training examples of an epoch in order: each training row (and its swapped copy when
    /// set) once, shuffled by the seed, grouped into batches of similar length (chunks of 64
    /// batches sorted by length), the batches shuffled again.
    static func epochBatches(examples: [(row: Int, swapped: Bool)], lengths: [Int], batchSize: Int, seed: UInt64) -> [[(row: Int, swapped: Bool)]] {
        var random = SeededRandom(seed: seed)
        var order = Array(examples.indices)
        random.shuffle(&order)
        let chunk = batchSize.multipliedReportingOverflow(by: 64).overflow ? Int.max : batchSize * 64
        var batches: [[Int]] = []
        for start in stride(from: 0, to: order.count, by: chunk) {
            let part = order[start..<min(start + chunk, order.count)].sorted { lengths[$0] > lengths[$1] }
            for batchStart in stride(from: 0, to: part.count, by: batchSize) {
                batches.append(Array(part[batchStart..<min(batchStart + batchSize, part.count)]))
            }
        }
        random.shuffle(&batches)
        return batches.map { $0.map { examples[$0] } }
    }

    /// Trains on `training` rows, validates on `validation` rows, and returns the outcome. The
    /// best weights are written to `bestWeightsFile`. With `resume`, a state in `stateFolder`
    /// is continued.
    public func train(
        encoded: [EncodedBattle], labels: [Int], training: [Int], validation: [Int], bestWeightsFile: String, stateFolder: String,
        resume: Bool, progress: (FinetuneProgress) -> Void = { _ in }, shouldStop: (Int) -> Bool = { _ in false }
    ) throws -> FoldOutcome {
        if settings.distillation != nil, teacher?.count != encoded.count {
            throw TrainingError.invariant("distillation needs one teacher row per battle (\(teacher?.count ?? 0) for \(encoded.count))")
        }
        guard !training.isEmpty, !validation.isEmpty else {
            throw TrainingError.invalidSetting("fold \(fold + 1) has \(training.count) training and \(validation.count) validation rows; both need at least one")
        }
        var examples: [(row: Int, swapped: Bool)] = training.map { ($0, false) }
        if settings.swapAugmentation { examples += training.map { ($0, true) } }
        let lengths = examples.map { encoded[$0.row].view(swapped: $0.swapped).length }
        // An optimizer step reads batchSize x accumulation examples, in micro-batches of batchSize.
        // Settings come from the user: every product is checked (a huge --epochs with
        // --max-steps is a way to say "this many steps"; it must not trap).
        let (stepRows, rowsOverflow) = settings.batchSize.multipliedReportingOverflow(by: settings.accumulation)
        guard !rowsOverflow, stepRows >= 1 else {
            throw TrainingError.invalidSetting("a batch of \(settings.batchSize) x \(settings.accumulation) accumulated rows is too large")
        }
        let stepsPerEpoch = examples.count / stepRows + (examples.count % stepRows == 0 ? 0 : 1)
        let (epochSteps, stepsOverflow) = stepsPerEpoch.multipliedReportingOverflow(by: settings.epochs)
        let totalSteps = min(stepsOverflow ? Int.max : epochSteps, settings.maxSteps ?? Int.max)
        let schedule = LearningRateSchedule(
            peak: settings.learningRate, warmupSteps: Int((Double(totalSteps) * settings.warmupFraction).rounded()),
            totalSteps: totalSteps, shape: settings.schedule, stepsPerEpoch: stepsPerEpoch, ramp: settings.epochRamp ?? .keras)
        let evaluationInterval = max(1, stepsPerEpoch / settings.evaluationsPerEpoch)
        let validationRows = validation.map { encoded[$0] }
        let validationLabels = validation.map { labels[$0] }

        let (groups, peaks) = try parameterGroups()
        let optimizer = try Optimizer(.adamW(fused: true), groups: groups)
        let parameters = try classifier.trainableParameters.map(\.tensor)
        // Weight perturbation (WeightPerturbation.swift), off unless set.
        let attack = try settings.adversarialWeightPerturbation.map { try WeightAttack(settings: $0, named: try classifier.trainableParameters) }
        let headNoise = try settings.headWeightNoise.map { try HeadWeightNoise(standardDeviation: $0, classifier: classifier) }

        var state = FoldState(
            fold: fold, step: 0, bestStep: nil, bestLoss: nil, bestPredictions: nil, evaluationsWithoutImprovement: 0, records: [],
            evaluations: [], seconds: 0)
        if resume, let saved = try Self.readState(folder: stateFolder) {
            guard saved.fold == fold else {
                throw RunError.corruptRun(path: stateFolder, reason: "the state is of fold \(saved.fold + 1), not \(fold + 1)")
            }
            try classifier.loadWeights(file: stateFolder + "/weights.safetensors")
            try optimizer.load(fromFile: stateFolder + "/optimizer.pt")
            state = saved
        }

        let started = Date().addingTimeInterval(-state.seconds)
        var lastCheckpoint = Date()
        var lastReport = Date()
        var lossSum = 0.0
        var lossCount = 0
        var examplesSinceReport = 0
        var epochCache: (epoch: Int, batches: [[(row: Int, swapped: Bool)]])?

        func saveState() throws {
            state.seconds = Date().timeIntervalSince(started)
            try Self.writeState(state, classifier: classifier, optimizer: optimizer, folder: stateFolder)
            lastCheckpoint = Date()
        }

        func evaluate() throws -> Double {
            let predictions = try runner.predict(validationRows, batchSize: settings.batchSize * 2)
            let loss = try Metrics.logLoss(probabilities: predictions, labels: validationLabels)
            state.evaluations.append(loss)
            if state.bestLoss.map({ loss < $0 }) ?? true {
                state.bestLoss = loss
                state.bestStep = state.step
                state.bestPredictions = predictions
                state.evaluationsWithoutImprovement = 0
                state.plateauCount = 0
                try classifier.save(to: bestWeightsFile, metadata: ["fold": String(fold), "step": String(state.step)])
            } else {
                state.evaluationsWithoutImprovement += 1
                state.plateauCount += 1
                if let plateau = settings.plateauPatience, state.plateauCount >= plateau {
                    state.learningRateScale *= settings.plateauFactor
                    state.plateauCount = 0
                }
            }
            return loss
        }

        classifier.training = true
        defer { classifier.training = false }
        trainingLoop: while state.step < totalSteps {
            // Early stopping, checked here so that a fold resumed after it had stopped stops too.
            if let patience = settings.patience, state.evaluationsWithoutImprovement >= patience { break trainingLoop }
            let epoch = state.step / stepsPerEpoch
            let batchIndex = state.step % stepsPerEpoch
            if epochCache?.epoch != epoch {
                let seed = settings.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(fold) &* 1_000_003 &+ UInt64(epoch)
                epochCache = (epoch, Self.epochBatches(examples: examples, lengths: lengths, batchSize: stepRows, seed: seed))
            }
            guard let batch = epochCache?.batches[batchIndex] else { break }
            let stepStarted = Date()
            let rate = schedule.rate(at: state.step) * state.learningRateScale
            if settings.headLearningRate == nil {
                try optimizer.setLearningRate(rate)
            } else {
                let factor = schedule.factor(at: state.step) * state.learningRateScale
                for (group, peak) in peaks.enumerated() { try optimizer.setLearningRate(peak * factor, group: group) }
            }
            try headNoise?.add(seed: settings.seed, fold: fold, step: state.step)
            func accumulate() throws -> Double {
                // Gradient accumulation: each micro-batch's mean loss weighted by its share of the
                // step's rows, so the gradient is that of the mean over all of them.
                var lossValue = 0.0
                for start in stride(from: 0, to: batch.count, by: settings.batchSize) {
                    let micro = batch[start..<min(start + settings.batchSize, batch.count)]
                    let rows = micro.map { encoded[$0.row].view(swapped: $0.swapped) }
                    let targets = micro.map { example in Int64(example.swapped ? Winner.swappedIndex(labels[example.row]) : labels[example.row]) }
                    let logits = try runner.logits(try runner.input(rows))
                    var loss = try logits.crossEntropy(
                        target: try Tensor(targets, shape: [targets.count]).to(runner.device), labelSmoothing: settings.labelSmoothing)
                    if let distillation = settings.distillation, let teacher {
                        let soft = micro.map { example in example.swapped ? teacher[example.row].swapped : teacher[example.row] }
                        loss = try Distillation.mixedLoss(logits: logits, crossEntropy: loss, targets: soft, weight: distillation.weight)
                    }
                    let share = Double(micro.count) / Double(batch.count)
                    let value = try loss.item()
                    guard value.isFinite else {
                        throw TrainingError.invalidSetting("fold \(fold + 1), step \(state.step + 1): the training loss is \(value); lower the learning rate or train in float32 precision")
                    }
                    lossValue += value * share
                    try (share == 1 ? loss : loss * share).backward()
                }
                return lossValue
            }
            // Dropout masks depend only on the seed and the step, so a resumed fold draws the same;
            // the global generator is held for the step so that nothing else in the process draws from it.
            let dropoutSeed = settings.seed &+ UInt64(fold) &* 7_919 &+ UInt64(state.step)
            let lossValue = try LibTorch.withGlobalGenerator(seed: dropoutSeed) {
                let lossValue = try accumulate()
                if let attack, attack.applies(epoch: epoch) {
                    // AWP: the same batch again through the perturbed weights, with the same dropout masks.
                    try LibTorch.manualSeed(dropoutSeed)
                    _ = try attack.perturb(clearing: optimizer) { try accumulate() }
                }
                return lossValue
            }
            if let clip = settings.clipNorm { try clipGradNorm(parameters, maxNorm: clip) }
            try optimizer.step()
            try optimizer.zeroGrad()
            state.step += 1
            lossSum += lossValue
            lossCount += 1
            examplesSinceReport += batch.count
            state.records.append(StepRecord(
                fold: fold, step: state.step, learningRate: rate, trainingLoss: lossValue, validationLoss: nil,
                seconds: Date().timeIntervalSince(stepStarted)))

            let endOfEpoch = state.step % stepsPerEpoch == 0
            let evaluationDue = state.step % evaluationInterval == 0 || endOfEpoch || state.step == totalSteps
            var validationLoss: Double?
            if evaluationDue {
                validationLoss = try evaluate()
                state.records[state.records.count - 1].validationLoss = validationLoss
                try saveState()
            } else if Date().timeIntervalSince(lastCheckpoint) >= checkpointSeconds {
                try saveState()
            }
            if evaluationDue || Date().timeIntervalSince(lastReport) >= 5 {
                let seconds = Date().timeIntervalSince(lastReport)
                progress(FinetuneProgress(
                    fold: fold, step: state.step, totalSteps: totalSteps, epoch: Double(state.step) / Double(stepsPerEpoch),
                    learningRate: rate, trainingLoss: lossSum / Double(max(lossCount, 1)), validationLoss: validationLoss,
                    examplesPerSecond: Double(examplesSinceReport) / max(seconds, 1e-9), elapsed: Date().timeIntervalSince(started)))
                lastReport = Date()
                lossSum = 0
                lossCount = 0
                examplesSinceReport = 0
            }
            if settings.patience.map({ state.evaluationsWithoutImprovement >= $0 }) ?? false { break trainingLoop }
            if state.step < totalSteps, shouldStop(state.step) {
                try saveState()
                throw FinetuneInterrupted(fold: fold, step: state.step)
            }
        }
        guard let bestLoss = state.bestLoss, let bestStep = state.bestStep, let predictions = state.bestPredictions else {
            throw TrainingError.invariant("fold \(fold + 1): training ended without a validation pass")
        }
        return FoldOutcome(
            fold: fold, validationPredictions: predictions, bestStep: bestStep, bestLoss: bestLoss, records: state.records,
            evaluations: state.evaluations, seconds: Date().timeIntervalSince(started))
    }

    /// Writes weights, optimizer and state into a new folder and swaps it in by renaming, so a
    /// kill at any moment leaves either the old state or the new one.
    static func writeState(_ state: FoldState, classifier: PreferenceClassifier, optimizer: Optimizer, folder: String) throws {
        let manager = FileManager.default
        let temporary = folder + ".new"
        let old = folder + ".old"
        try? manager.removeItem(atPath: temporary)
        do { try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true) } catch {
            throw TrainingError.io(DataError.writeFailed(path: temporary, reason: error.localizedDescription))
        }
        try classifier.save(to: temporary + "/weights.safetensors")
        try optimizer.save(toFile: temporary + "/optimizer.pt")
        try RunFolder.writeJSON(state, path: temporary + "/state.json")
        try? manager.removeItem(atPath: old)
        do {
            if manager.fileExists(atPath: folder) { try manager.moveItem(atPath: folder, toPath: old) }
            try manager.moveItem(atPath: temporary, toPath: folder)
        } catch {
            throw TrainingError.io(DataError.writeFailed(path: folder, reason: error.localizedDescription))
        }
        try? manager.removeItem(atPath: old)
    }

    /// The saved state of a fold, or nil when there is none. A kill between the two renames of
    /// ``writeState`` leaves only `folder.old`, which is then used.
    static func readState(folder: String) throws -> FoldState? {
        let manager = FileManager.default
        var source = folder
        if !manager.fileExists(atPath: folder + "/state.json") {
            guard manager.fileExists(atPath: folder + ".old/state.json") else { return nil }
            source = folder + ".old"
            try? manager.removeItem(atPath: folder)
            do { try manager.moveItem(atPath: source, toPath: folder) } catch {
                throw TrainingError.io(DataError.writeFailed(path: folder, reason: error.localizedDescription))
            }
        }
        return try RunFolder.readJSON(FoldState.self, runPath: folder, name: "state.json")
    }
}
