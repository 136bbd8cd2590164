import Models
import Prediction
import Runs
import Torch

/// The floating-point type of the forward pass.
public enum Precision: String, Codable, Sendable, CaseIterable {
    case float32
    /// bfloat16 autocast (CPU and CUDA); weights, gradients and optimizer state stay float32.
    case bfloat16
    /// float16 autocast (CUDA).
    case float16

    /// Runs `body` under this precision's autocast on `device` (for float32, with autocast
    /// switched off).
    public func autocast<Result>(on device: Device, _ body: () throws -> Result) throws -> Result {
        switch self {
        case .float32: return try withAutocast(device: device, enabled: false, body)
        case .bfloat16: return try withAutocast(device: device, dtype: .bfloat16, body)
        case .float16: return try withAutocast(device: device, dtype: .float16, body)
        }
    }
}

/// How a transformer classifier is fine-tuned; saved in the run's config.json. Every field
/// changes what is trained, so a resumed run must have the same settings.
public struct FinetuneSettings: Codable, Sendable, Equatable {
    public var architecture: ClassifierArchitecture
    /// The pretrained model folder as given.
    public var model: String
    public var maxLength: Int
    public var turns: TurnSelection
    /// How the pair architecture writes prompt and response (S1 template, S2 [SEP]).
    public var pairFormat: PairFormat
    /// S2's clean-up: whitespace collapsed, non-ASCII characters dropped.
    public var textCleanup: Bool
    /// S3's numeric-feature branch (pair only): its widths; nil for none.
    public var numericFeatures: NumericFeatureHead?
    /// Drop repeated battles (same prompt and responses) before training (S3).
    public var dropDuplicates: Bool
    /// Battles per forward pass.
    public var batchSize: Int
    /// Forward passes per optimizer step (gradient accumulation): a step sees
    /// batchSize x accumulation battles.
    public var accumulation: Int
    public var epochs: Int
    /// At most this many optimizer steps per fold (nil: the epochs decide).
    public var maxSteps: Int?
    public var learningRate: Double
    /// The learning rate of the parameters the pretrained checkpoint does not hold (the new
    /// head), in place of `learningRate`; the schedule scales both alike (nil: `learningRate`).
    public var headLearningRate: Double?
    public var weightDecay: Double
    /// The share of the steps spent warming up.
    public var warmupFraction: Double
    public var schedule: LearningRateSchedule.Shape
    /// The per-epoch ramp of the `ramp-*` schedules (nil: the KerasNLP starter's,
    /// ``LearningRateSchedule/EpochRamp/keras``).
    public var epochRamp: LearningRateSchedule.EpochRamp?
    public var labelSmoothing: Double
    /// Gradient clipping by global norm (nil: none).
    public var clipNorm: Double?
    /// Dropout before the classifier (nil: the config's).
    public var headDropout: Double?
    public var precision: Precision
    /// Train on A/B-swapped copies too.
    public var swapAugmentation: Bool
    /// Average each prediction with the swapped battle's.
    public var swapAveraging: Bool
    /// Fit a temperature on the validation predictions.
    public var calibrate: Bool
    /// A fixed temperature applied to every prediction instead of a fitted one (S3: 0.85);
    /// `calibrate` must then be off.
    public var fixedTemperature: Double?
    /// Consider fixed answers for identical and empty responses.
    public var edgeCases: Bool
    /// Validation passes per epoch (the last one at the end of the epoch).
    public var evaluationsPerEpoch: Int
    /// Stop after this many evaluations without a better validation log loss (nil: never).
    public var patience: Int?
    /// Multiply the learning rate by `plateauFactor` after this many evaluations without
    /// improvement (S2's ReduceLROnPlateau; nil: never).
    public var plateauPatience: Int?
    public var plateauFactor: Double
    /// With one fold, the stratified share of rows held out for validation.
    public var validationFraction: Double
    public var seed: UInt64
    /// The preset these settings started from (``FinetunePreset``), for the record; every
    /// value it set is in the fields above.
    public var preset: String?
    // Weight perturbation (WeightPerturbation.swift); nil: off.
    /// True AWP: the weights moved along the gradient for a second pass of the step's batch.
    public var adversarialWeightPerturbation: AdversarialWeightPerturbation? = nil
    /// S3's "AWP": Gaussian noise of this standard deviation on the head's weight matrices at each step.
    public var headWeightNoise: Double? = nil
    /// Distillation from a teacher's predictions (Distillation.swift); nil: the labels alone.
    public var distillation: Distillation? = nil
    /// LoRA (LoraSettings.swift): the base frozen, adapters and head trained; nil: every weight trains.
    public var lora: LoraSettings? = nil
    /// Recompute each decoder layer in the backward pass instead of keeping its activations.
    public var gradientCheckpointing = false

    public init(
        architecture: ClassifierArchitecture, model: String, maxLength: Int = 256, turns: TurnSelection = .first,
        pairFormat: PairFormat = .template, textCleanup: Bool = false, numericFeatures: NumericFeatureHead? = nil,
        dropDuplicates: Bool = false, batchSize: Int = 8, accumulation: Int = 1,
        epochs: Int = 1, maxSteps: Int? = nil, learningRate: Double = 2e-5, headLearningRate: Double? = nil, weightDecay: Double = 0.01,
        warmupFraction: Double = 0.1, schedule: LearningRateSchedule.Shape = .linear, epochRamp: LearningRateSchedule.EpochRamp? = nil,
        labelSmoothing: Double = 0, clipNorm: Double? = 1, headDropout: Double? = nil,
        precision: Precision = .float32, swapAugmentation: Bool = false, swapAveraging: Bool = true, calibrate: Bool = true,
        fixedTemperature: Double? = nil, edgeCases: Bool = true, evaluationsPerEpoch: Int = 1, patience: Int? = nil, plateauPatience: Int? = nil,
        plateauFactor: Double = 0.5, validationFraction: Double = 0.2, seed: UInt64 = 0, preset: String? = nil
    ) {
        self.architecture = architecture
        self.model = model
        self.maxLength = maxLength
        self.turns = turns
        self.pairFormat = pairFormat
        self.textCleanup = textCleanup
        self.numericFeatures = numericFeatures
        self.dropDuplicates = dropDuplicates
        self.batchSize = batchSize
        self.accumulation = accumulation
        self.epochs = epochs
        self.maxSteps = maxSteps
        self.learningRate = learningRate
        self.headLearningRate = headLearningRate
        self.weightDecay = weightDecay
        self.warmupFraction = warmupFraction
        self.schedule = schedule
        self.epochRamp = epochRamp
        self.labelSmoothing = labelSmoothing
        self.clipNorm = clipNorm
        self.headDropout = headDropout
        self.precision = precision
        self.swapAugmentation = swapAugmentation
        self.swapAveraging = swapAveraging
        self.calibrate = calibrate
        self.fixedTemperature = fixedTemperature
        self.edgeCases = edgeCases
        self.evaluationsPerEpoch = evaluationsPerEpoch
        self.patience = patience
        self.plateauPatience = plateauPatience
        self.plateauFactor = plateauFactor
        self.validationFraction = validationFraction
        self.seed = seed
        self.preset = preset
    }

    enum CodingKeys: String, CodingKey {
        case architecture
        case model
        case maxLength
        case turns
        case pairFormat
        case textCleanup
        case numericFeatures
        case dropDuplicates
        case batchSize
        case accumulation
        case epochs
        case maxSteps
        case learningRate
        case headLearningRate
        case weightDecay
        case warmupFraction
        case schedule
        case epochRamp
        case labelSmoothing
        case clipNorm
        case headDropout
        case precision
        case swapAugmentation
        case swapAveraging
        case calibrate
        case fixedTemperature
        case edgeCases
        case evaluationsPerEpoch
        case patience
        case plateauPatience
        case plateauFactor
        case validationFraction
        case seed
        case preset
        case adversarialWeightPerturbation
        case headWeightNoise
        case distillation
        case lora
        case gradientCheckpointing
    }

    /// Decodes settings saved by this or an earlier arena: a field added since (such as
    /// `accumulation`) takes its default, so older runs still load and predict. An absent
    /// optional field is nil (the encoder leaves nil fields out).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FinetuneSettings(
            architecture: try c.decode(ClassifierArchitecture.self, forKey: .architecture), model: try c.decode(String.self, forKey: .model))
        architecture = try c.decode(ClassifierArchitecture.self, forKey: .architecture)
        model = try c.decode(String.self, forKey: .model)
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength) ?? defaults.maxLength
        turns = try c.decodeIfPresent(TurnSelection.self, forKey: .turns) ?? defaults.turns
        pairFormat = try c.decodeIfPresent(PairFormat.self, forKey: .pairFormat) ?? defaults.pairFormat
        textCleanup = try c.decodeIfPresent(Bool.self, forKey: .textCleanup) ?? defaults.textCleanup
        numericFeatures = try c.decodeIfPresent(NumericFeatureHead.self, forKey: .numericFeatures)
        dropDuplicates = try c.decodeIfPresent(Bool.self, forKey: .dropDuplicates) ?? defaults.dropDuplicates
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? defaults.batchSize
        accumulation = try c.decodeIfPresent(Int.self, forKey: .accumulation) ?? defaults.accumulation
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? defaults.epochs
        maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps)
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        headLearningRate = try c.decodeIfPresent(Double.self, forKey: .headLearningRate)
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? defaults.weightDecay
        warmupFraction = try c.decodeIfPresent(Double.self, forKey: .warmupFraction) ?? defaults.warmupFraction
        schedule = try c.decodeIfPresent(LearningRateSchedule.Shape.self, forKey: .schedule) ?? defaults.schedule
        epochRamp = try c.decodeIfPresent(LearningRateSchedule.EpochRamp.self, forKey: .epochRamp)
        labelSmoothing = try c.decodeIfPresent(Double.self, forKey: .labelSmoothing) ?? defaults.labelSmoothing
        clipNorm = try c.decodeIfPresent(Double.self, forKey: .clipNorm)
        headDropout = try c.decodeIfPresent(Double.self, forKey: .headDropout)
        precision = try c.decodeIfPresent(Precision.self, forKey: .precision) ?? defaults.precision
        swapAugmentation = try c.decodeIfPresent(Bool.self, forKey: .swapAugmentation) ?? defaults.swapAugmentation
        swapAveraging = try c.decodeIfPresent(Bool.self, forKey: .swapAveraging) ?? defaults.swapAveraging
        calibrate = try c.decodeIfPresent(Bool.self, forKey: .calibrate) ?? defaults.calibrate
        fixedTemperature = try c.decodeIfPresent(Double.self, forKey: .fixedTemperature)
        edgeCases = try c.decodeIfPresent(Bool.self, forKey: .edgeCases) ?? defaults.edgeCases
        evaluationsPerEpoch = try c.decodeIfPresent(Int.self, forKey: .evaluationsPerEpoch) ?? defaults.evaluationsPerEpoch
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
        plateauPatience = try c.decodeIfPresent(Int.self, forKey: .plateauPatience)
        plateauFactor = try c.decodeIfPresent(Double.self, forKey: .plateauFactor) ?? defaults.plateauFactor
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? defaults.validationFraction
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        preset = try c.decodeIfPresent(String.self, forKey: .preset)
        adversarialWeightPerturbation = try c.decodeIfPresent(AdversarialWeightPerturbation.self, forKey: .adversarialWeightPerturbation)
        headWeightNoise = try c.decodeIfPresent(Double.self, forKey: .headWeightNoise)
        distillation = try c.decodeIfPresent(Distillation.self, forKey: .distillation)
        lora = try c.decodeIfPresent(LoraSettings.self, forKey: .lora)
        gradientCheckpointing = try c.decodeIfPresent(Bool.self, forKey: .gradientCheckpointing) ?? false
    }

    /// Checks the ranges; the message names the command-line option.
    /// The largest batch (and accumulation count) accepted: far beyond any memory, small enough
    /// that no product of batch sizes overflows.
    public static let maxBatchSize = 1 << 20

    /// Checks the settings for `device` too: float16 autocast exists only on CUDA.
    public func validate(for device: Device) throws(TrainingError) {
        try validate()
        if precision == .float16, case .cpu = device {
            throw TrainingError.setting(name: "precision", problem: "float16 needs a CUDA device; on the CPU use bfloat16 or float32")
        }
        if lora?.base == .float16, case .cpu = device {
            throw TrainingError.setting(name: "lora.base", problem: "float16 needs a CUDA device; on the CPU use bfloat16 or float32")
        }
    }

    /// Checks every setting's range; a failure names the setting (``TrainingError/setting(name:problem:)``).
    public func validate() throws(TrainingError) {
        func require(_ condition: Bool, _ name: String, _ problem: String) throws(TrainingError) {
            if !condition { throw TrainingError.setting(name: name, problem: problem) }
        }
        let batches = 1...FinetuneSettings.maxBatchSize
        try require(batches.contains(batchSize), "batchSize", "must be in \(batches) (got \(batchSize))")
        try require(batches.contains(accumulation), "accumulation", "must be in \(batches) (got \(accumulation))")
        try require(epochs >= 1, "epochs", "must be at least 1 (got \(epochs))")
        try require(maxSteps.map { $0 >= 1 } ?? true, "maxSteps", "must be at least 1")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", "must be positive (got \(learningRate))")
        try require(headLearningRate.map { $0 > 0 && $0.isFinite } ?? true, "headLearningRate", "must be positive (got \(headLearningRate ?? 0))")
        if let ramp = epochRamp {
            try require(ramp.start > 0 && ramp.start.isFinite, "rampStart", "must be positive (got \(ramp.start))")
            try require((0...10_000).contains(ramp.epochs), "rampEpochs", "must be in 0...10000 (got \(ramp.epochs))")
            try require(ramp.decay > 0 && ramp.decay <= 1, "rampDecay", "must be in (0, 1] (got \(ramp.decay))")
            try require((ramp.epochs...1_000_000).contains(ramp.horizon), "rampHorizon",
                        "must be in \(ramp.epochs)...1000000, at least the ramp's epochs (got \(ramp.horizon))")
        }
        try require(fixedTemperature.map { $0 > 0 && $0.isFinite } ?? true, "fixedTemperature", "must be positive (got \(fixedTemperature ?? 0))")
        try require(fixedTemperature == nil || !calibrate, "fixedTemperature", "replaces the fitted temperature: turn calibration off with it")
        try require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", "must be a finite number, not negative (got \(weightDecay))")
        try require((0..<1).contains(warmupFraction), "warmupFraction", "must be in [0, 1) (got \(warmupFraction))")
        try require((0..<1).contains(labelSmoothing), "labelSmoothing", "must be in [0, 1) (got \(labelSmoothing))")
        try require(clipNorm.map { $0 > 0 && $0.isFinite } ?? true, "clipNorm", "must be a positive finite number")
        try require(headDropout.map { (0..<1).contains($0) } ?? true, "headDropout", "must be in [0, 1)")
        try require((1...1_000_000).contains(evaluationsPerEpoch), "evaluationsPerEpoch", "must be in 1...1000000")
        try require(patience.map { $0 >= 1 } ?? true, "patience", "must be at least 1")
        try require(plateauPatience.map { $0 >= 1 } ?? true, "plateauPatience", "must be at least 1")
        try require(plateauFactor > 0 && plateauFactor < 1, "plateauFactor", "must be in (0, 1) (got \(plateauFactor))")
        try require(numericFeatures == nil || architecture == .pair, "numericFeatures", "needs the pair architecture")
        try require(numericFeatures.map { $0.projectionWidth >= 1 && $0.hiddenWidth >= 1 } ?? true, "numericFeatures", "widths must be at least 1")
        try require(numericFeatures.map { $0.count == FeatureScaling.count } ?? true, "numericFeatures",
                    "takes the \(FeatureScaling.count) turn-length statistics per side (got \(numericFeatures?.count ?? 0))")
        try require(validationFraction > 0 && validationFraction < 1, "validationFraction", "must be in (0, 1) (got \(validationFraction))")
        try validatePerturbations()
        try lora?.validate()
        if let distillation {
            try require(distillation.weight > 0 && distillation.weight <= 1, "distillation.weight",
                        "must be in (0, 1]: the share of the KL term (got \(distillation.weight))")
        }
    }
}

extension RunConfig {
    /// The fine-tuning settings of a cross or pair run (`finetune` in config.json).
    public func finetuneSettings(runPath: String = ".") throws(RunError) -> FinetuneSettings? {
        try RunConfig.decode(FinetuneSettings.self, from: finetune, field: "finetune", runPath: runPath)
    }

    /// Stores `settings` as the run's fine-tuning settings.
    public mutating func setFinetuneSettings(_ settings: FinetuneSettings) throws {
        finetune = try SettingsJSON(encoding: settings)
    }
}
