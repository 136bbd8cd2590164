import Foundation
import Prediction
import Runs

/// The learning rate by optimizer step.
///
/// `linear`, `cosine`, `constant`: a linear warm-up from 0, then a decay, by step. The formulas
/// are transformers' (optimization.py, v4.40.2): `get_linear_schedule_with_warmup`,
/// `get_cosine_schedule_with_warmup` (half a cosine) and `get_constant_schedule_with_warmup`.
///
/// `ramp-cosine`, `ramp-exponential`, `ramp-step`: the KerasNLP starter's (S1) per-epoch
/// schedule, a Keras `LearningRateScheduler` set at the start of each epoch by the notebook's
/// `get_lr_callback(batch_size, mode, epochs=10)`, as its code computes it:
///
///     lr_start, lr_max, lr_min = 1.0e-6, 0.6e-6 * batch_size, 1e-6
///     lr_ramp_ep, lr_sus_ep, lr_decay = 2, 0, 0.8
///     if epoch < lr_ramp_ep: lr = (lr_max - lr_start) / lr_ramp_ep * epoch + lr_start
///     elif epoch < lr_ramp_ep + lr_sus_ep: lr = lr_max
///     elif mode == 'exp': lr = (lr_max - lr_min) * lr_decay**(epoch - lr_ramp_ep - lr_sus_ep) + lr_min
///     elif mode == 'step': lr = lr_max * lr_decay**((epoch - lr_ramp_ep - lr_sus_ep) // 2)
///     elif mode == 'cos':
///         decay_total_epochs = epochs - lr_ramp_ep - lr_sus_ep + 3
///         decay_epoch_index = epoch - lr_ramp_ep - lr_sus_ep
///         phase = math.pi * decay_epoch_index / decay_total_epochs
///         lr = (lr_max - lr_min) * 0.5 * (1 + math.cos(phase)) + lr_min
///
/// Here `lr_max` is the run's learning rate (the S1 preset sets it to 0.6e-6 x its batch of 16),
/// `lr_start` = `lr_min` is ``EpochRamp/start``, `lr_ramp_ep` ``EpochRamp/epochs``, `lr_decay`
/// ``EpochRamp/decay`` and `epochs` ``EpochRamp/horizon``; `lr_sus_ep` is 0 as in the notebook.
/// The ramp is the warm-up: `warmupSteps` is not used.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Shape: String, Codable, Sendable, CaseIterable {
        case linear
        case cosine
        case constant
        case rampCosine = "ramp-cosine"
        case rampExponential = "ramp-exponential"
        case rampStep = "ramp-step"

        /// Whether the rate is set per epoch by ``EpochRamp``.
        public var isEpochRamp: Bool {
            switch self {
            case .linear, .cosine, .constant: return false
            case .rampCosine, .rampExponential, .rampStep: return true
            }
        }
    }

    /// The per-epoch ramp of the `ramp-*` shapes.
    public struct EpochRamp: Codable, Sendable, Equatable {
        /// The rate of the first epoch, and the floor of the decay (`lr_start`, `lr_min`).
        public var start: Double
        /// Epochs of the ramp from `start` to the peak (`lr_ramp_ep`).
        public var epochs: Int
        /// The factor per epoch of `ramp-exponential` and per two epochs of `ramp-step` (`lr_decay`).
        public var decay: Double
        /// The `epochs` argument of the notebook's function: the cosine reaches its floor 3 epochs
        /// after it.
        public var horizon: Int

        /// The notebook's values (its call leaves `epochs` at the default, 10).
        public static let keras = EpochRamp(start: 1e-6, epochs: 2, decay: 0.8, horizon: 10)

        public init(start: Double, epochs: Int, decay: Double, horizon: Int) {
            self.start = start
            self.epochs = epochs
            self.decay = decay
            self.horizon = horizon
        }
    }

    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var shape: Shape
    /// Optimizer steps per epoch (the `ramp-*` shapes change the rate at epoch boundaries).
    public var stepsPerEpoch: Int
    public var ramp: EpochRamp

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, shape: Shape, stepsPerEpoch: Int = 1, ramp: EpochRamp = .keras) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.shape = shape
        self.stepsPerEpoch = stepsPerEpoch
        self.ramp = ramp
    }

    /// The factor of the peak rate at `step` (from 0).
    public func factor(at step: Int) -> Double {
        if step < warmupSteps, !shape.isEpochRamp { return Double(step) / Double(max(1, warmupSteps)) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        switch shape {
        case .constant: return 1
        case .linear: return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine: return max(0, 0.5 * (1 + cos(Double.pi * progress)))
        case .rampCosine, .rampExponential, .rampStep: return rate(epoch: step / max(1, stepsPerEpoch)) / peak
        }
    }

    /// The learning rate at `step` (from 0).
    public func rate(at step: Int) -> Double {
        shape.isEpochRamp ? rate(epoch: step / max(1, stepsPerEpoch)) : peak * factor(at: step)
    }

    /// The rate of epoch `epoch` (from 0) under the `ramp-*` shapes, as the notebook computes it.
    public func rate(epoch: Int) -> Double {
        let start = ramp.start, top = peak, floor = ramp.start
        if epoch < ramp.epochs { return (top - start) / Double(ramp.epochs) * Double(epoch) + start }
        let index = epoch - ramp.epochs
        switch shape {
        case .rampExponential: return (top - floor) * pow(ramp.decay, Double(index)) + floor
        case .rampStep: return top * pow(ramp.decay, Double(index / 2))
        case .rampCosine:
            let total = Double(ramp.horizon - ramp.epochs + 3)
            return (top - floor) * 0.5 * (1 + cos(Double.pi * Double(index) / total)) + floor
        case .linear, .cosine, .constant: return top
        }
    }
}
