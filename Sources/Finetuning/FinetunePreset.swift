import Models

/// Every setting of one reference notebook (../shared/DESIGN.md, "The systems in the reference
/// notebooks"), as `arena finetune --preset NAME` applies it; options given beside the preset
/// override its values. Where a notebook's description leaves a value open, the preset takes
/// the one its notebook family uses (said in ``sources``).
public enum FinetunePreset: String, CaseIterable, Sendable, Codable {
    /// S1, the KerasNLP starter: one DeBERTa-v3 encoder reads "Prompt: p\n\nResponse: r" for each
    /// response, token states averaged, concatenated, Dense(3).
    case sharedEncoder = "shared-encoder"
    /// S2: S1 with cleaned text, "[SEP]" between prompt and response, length 128, dropout 0.5,
    /// early stopping and ReduceLROnPlateau.
    case sharedEncoderSep = "shared-encoder-sep"
    /// S3: S1 with the 14 turn-length statistics per side through Dense(512) and Dense(256),
    /// a fixed temperature of 0.85, Gaussian noise on the head's kernels.
    case sharedEncoderFeatures = "shared-encoder-features"
    /// S4: the Hugging Face Trainer cross-encoder, one sequence "[PROMPT] ... [RESPONSE_A] ...
    /// [RESPONSE_B] ..." with all turns, a sequence-classification head.
    case crossEncoder = "cross-encoder"

    /// The notebook, in a few words.
    public var notebook: String {
        switch self {
        case .sharedEncoder: return "S1, the KerasNLP DeBERTa-v3 starter (shared-weight pair)"
        case .sharedEncoderSep: return "S2, its variant with cleaned text, [SEP], early stopping and LR halving"
        case .sharedEncoderFeatures: return "S3, the pair with turn-length features, T = 0.85 and head-weight noise"
        case .crossEncoder: return "S4, the Hugging Face Trainer cross-encoder"
        }
    }

    /// Where the values the notebook's description leaves open come from.
    public var sources: String {
        switch self {
        case .sharedEncoder:
            return "Keras Adam has no weight decay (0 here) and no clipping; mixed precision is bfloat16 autocast on the CPU"
        case .sharedEncoderSep:
            return "learning rate and epochs as S1 (its Adam 5e-6, held constant but for the plateau halving)"
        case .sharedEncoderFeatures:
            return "length, batch and epochs as S1; Adam 1e-6 held constant"
        case .crossEncoder:
            return "epochs 3 and batch 8 are the Trainer's defaults; fp16 there, bfloat16 autocast on the CPU (--precision float16 on CUDA)"
        }
    }

    /// The preset's settings for the pretrained folder `model`.
    public func settings(model: String) -> FinetuneSettings {
        // The S1 notebook: batch 16, 3 epochs, length 512, label smoothing 0.02, the per-epoch
        // ramp to 0.6e-6 x batch then cosine decay, best weights by validation log loss, 80/20.
        var s1 = FinetuneSettings(
            architecture: .pair, model: model, maxLength: 512, turns: .first, pairFormat: .template, batchSize: 16, epochs: 3,
            learningRate: 0.6e-6 * 16, weightDecay: 0, warmupFraction: 0, schedule: .rampCosine, epochRamp: .keras,
            labelSmoothing: 0.02, clipNorm: nil, headDropout: 0, precision: .bfloat16, swapAugmentation: false, swapAveraging: false,
            calibrate: false, edgeCases: false, evaluationsPerEpoch: 1, validationFraction: 0.2, preset: rawValue)
        switch self {
        case .sharedEncoder:
            return s1
        case .sharedEncoderSep:
            s1.pairFormat = .sep
            s1.textCleanup = true
            s1.maxLength = 128
            s1.batchSize = 32
            s1.headDropout = 0.5
            s1.learningRate = 5e-6
            s1.schedule = .constant
            s1.epochRamp = nil
            s1.weightDecay = 0.01
            s1.labelSmoothing = 0.1
            s1.patience = 2
            s1.plateauPatience = 1
            s1.plateauFactor = 0.5
            s1.validationFraction = 0.1
            return s1
        case .sharedEncoderFeatures:
            s1.numericFeatures = NumericFeatureHead(count: FeatureScaling.count, projectionWidth: 512, hiddenWidth: 256)
            s1.dropDuplicates = true
            s1.learningRate = 1e-6
            s1.schedule = .constant
            s1.epochRamp = nil
            s1.clipNorm = 1
            s1.labelSmoothing = 0.1
            s1.headDropout = nil
            s1.fixedTemperature = 0.85
            // The notebook's "AWP" callback: N(0, 1e-4) on the head's kernels at every batch.
            s1.headWeightNoise = 1e-4
            return s1
        case .crossEncoder:
            return FinetuneSettings(
                architecture: .cross, model: model, maxLength: 512, turns: .all, batchSize: 8, epochs: 3, learningRate: 2e-5,
                weightDecay: 0.01, warmupFraction: 0.1, schedule: .linear, labelSmoothing: 0, clipNorm: 1, precision: .bfloat16,
                swapAugmentation: false, swapAveraging: false, calibrate: false, edgeCases: false, evaluationsPerEpoch: 1,
                validationFraction: 0.2, preset: rawValue)
        }
    }
}
