// Two ways of disturbing the weights during fine-tuning, both off by default.
//
// Adversarial weight perturbation (AWP) as Kaggle winners used it: the `AWP` class of the
// Feedback Prize solutions (reused in the LMSYS ones), e.g. the 1st place of Feedback Prize 2021,
// https://github.com/antmachineintelligence/Feedback_1st/blob/a8d201a7d91e967f3df508434f7969ca9f59d0d6/utils/utils.py#L622
// (defaults adv_param="weight", adv_lr=1, adv_eps=0.2, start_epoch=0, adv_step=1). After the normal
// backward, `_save` keeps each chosen parameter w (requires_grad, grad not None, adv_param in its
// name) and the bounds w -/+ adv_eps * |w|; `_attack_step` moves it along its gradient,
//     w += adv_lr * grad / (||grad|| + 1e-6) * (||w|| + 1e-6)
// (skipped when ||grad|| is 0 or NaN) and clamps it to the bounds; the loss of the same batch is
// computed again, `optimizer.zero_grad()`, its backward; `_restore` puts the weights back; then the
// usual clipping and optimizer step. That class zeroes the gradients before the adversarial
// backward (despite its comment saying "accumulate"), so the step follows the perturbed loss's
// gradient alone: ``AdversarialWeightPerturbation/Gradient/adversarial``. DESIGN.md and issue 14
// describe the sum of the two gradients (the perturbed loss's gradient added to the clean one):
// ``AdversarialWeightPerturbation/Gradient/sum``, the default.
// Only adv_step = 1 (one attack per step), the public default, is implemented.
//
// S3's "AWP" (the Keras notebook's callback): at the start of every batch, Gaussian noise of
// standard deviation epsilon (1e-4) added to the kernel of each top-level Dense layer, i.e. the
// head's weight matrices, never taken back. Here: ``FinetuneSettings/headWeightNoise``.
import Foundation
import Models
import Prediction
import Torch

/// True adversarial weight perturbation (see the top of this file); saved in config.json.
public struct AdversarialWeightPerturbation: Codable, Sendable, Equatable {
    /// Which gradient the optimizer step follows.
    public enum Gradient: String, Codable, Sendable, CaseIterable {
        /// The perturbed loss's alone (the public `AWP` class zeroes the gradients first).
        case adversarial
        /// The clean loss's plus the perturbed loss's.
        case sum
    }

    /// adv_lr: the step along the normalised gradient, in units of the parameter's norm.
    public var learningRate: Double
    /// adv_eps: each weight stays within this share of its own magnitude.
    public var epsilon: Double
    /// The first epoch (0-based, as the notebooks' `epoch < start_epoch` test) with perturbation.
    public var startEpoch: Int
    /// adv_param: parameters whose name contains this are perturbed ("weight": every weight
    /// matrix, embedding and LayerNorm scale, no bias).
    public var parameterFilter: String
    public var gradient: Gradient

    public init(learningRate: Double = 1, epsilon: Double = 0.2, startEpoch: Int = 0, parameterFilter: String = "weight",
                gradient: Gradient = .sum) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.startEpoch = startEpoch
        self.parameterFilter = parameterFilter
        self.gradient = gradient
    }

    enum CodingKeys: String, CodingKey {
        case learningRate, epsilon, startEpoch, parameterFilter, gradient
    }

    /// Absent fields take their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AdversarialWeightPerturbation()
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        epsilon = try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? defaults.epsilon
        startEpoch = try c.decodeIfPresent(Int.self, forKey: .startEpoch) ?? defaults.startEpoch
        parameterFilter = try c.decodeIfPresent(String.self, forKey: .parameterFilter) ?? defaults.parameterFilter
        gradient = try c.decodeIfPresent(Gradient.self, forKey: .gradient) ?? defaults.gradient
    }

    /// The `_attack_step` constant.
    static let stabilizer = 1e-6
}

extension FinetuneSettings {
    /// The ranges of the perturbation settings; a failure names the field.
    func validatePerturbations() throws(TrainingError) {
        if let awp = adversarialWeightPerturbation {
            let name = "adversarialWeightPerturbation."
            if !(awp.learningRate > 0 && awp.learningRate.isFinite) {
                throw .setting(name: name + "learningRate", problem: "must be a positive finite number (got \(awp.learningRate))")
            }
            if !(awp.epsilon > 0 && awp.epsilon.isFinite) {
                throw .setting(name: name + "epsilon", problem: "must be a positive finite number (got \(awp.epsilon))")
            }
            if awp.startEpoch < 0 { throw .setting(name: name + "startEpoch", problem: "must not be negative (got \(awp.startEpoch))") }
            if awp.parameterFilter.isEmpty { throw .setting(name: name + "parameterFilter", problem: "must not be empty") }
        }
        if let noise = headWeightNoise, !(noise > 0 && noise.isFinite) {
            throw .setting(name: "headWeightNoise", problem: "must be a positive finite number (got \(noise))")
        }
    }
}

/// One AWP attack per optimizer step on a fixed set of parameters.
struct WeightAttack {
    let settings: AdversarialWeightPerturbation
    let parameters: [(name: String, tensor: Tensor)]

    /// The parameters of `named` whose name contains the filter; none is an error.
    init(settings: AdversarialWeightPerturbation, named: [(name: String, tensor: Tensor)]) throws {
        self.settings = settings
        parameters = named.filter { $0.name.contains(settings.parameterFilter) }
        guard !parameters.isEmpty else {
            throw TrainingError.setting(
                name: "adversarialWeightPerturbation.parameterFilter", problem: "matches no parameter name (\"\(settings.parameterFilter)\")")
        }
    }

    /// Whether the step of `epoch` (0-based) is attacked.
    func applies(epoch: Int) -> Bool { epoch >= settings.startEpoch }

    /// With the clean gradients accumulated: saves the chosen weights, moves them along their
    /// gradients within the bounds, clears the gradients (``AdversarialWeightPerturbation/Gradient/adversarial``),
    /// runs `pass` (the same batch's forward and backward), and restores the weights, also when
    /// `pass` throws. Parameters without a gradient are left alone, as `_save` does.
    func perturb<Result>(clearing optimizer: Optimizer, _ pass: () throws -> Result) throws -> Result {
        var saved: [(tensor: Tensor, original: Tensor)] = []
        func restore() throws { try withNoGrad { for (tensor, original) in saved { try tensor.copy(from: original) } } }
        let result: Result
        do {
            try withNoGrad {
                for (_, tensor) in parameters {
                    guard let grad = try tensor.grad else { continue }
                    let original = try tensor.detach().clone()
                    saved.append((tensor, original))
                    try tensor.copy(from: try Self.attacked(original, grad: grad, settings: settings))
                }
            }
            if settings.gradient == .adversarial { try optimizer.zeroGrad() }
            result = try pass()
        } catch {
            // The first error is the one to report; the weights are put back as far as possible.
            try? restore()
            throw error
        }
        try restore()
        return result
    }

    /// `_attack_step` on one weight: w + adv_lr * g / (||g|| + e) * (||w|| + e), clamped to
    /// w -/+ adv_eps * |w|; w itself when ||g|| is 0 or NaN. Computed on the device, without
    /// reading the norms back.
    static func attacked(_ weight: Tensor, grad: Tensor, settings: AdversarialWeightPerturbation) throws -> Tensor {
        let e = AdversarialWeightPerturbation.stabilizer
        let gradNorm = try grad.square().sum().sqrt()
        let weightNorm = try weight.square().sum().sqrt()
        let step = try grad * settings.learningRate / (gradNorm + e) * (weightNorm + e)
        let bound = try weight.abs() * settings.epsilon
        let moved = try (weight + step).maximum(weight - bound).minimum(weight + bound)
        // NaN != 0 is true, NaN == NaN false: usable exactly when the norm is a nonzero number.
        let usable = try gradNorm.ne(0).logicalAnd(gradNorm.eq(gradNorm))
        return try Tensor.where(usable, moved, weight)
    }
}

/// S3's noise on the head's weight matrices (see the top of this file).
struct HeadWeightNoise {
    let standardDeviation: Double
    /// The head's weight matrices (Dense kernels): not the encoder, not biases.
    let kernels: [Tensor]

    init(standardDeviation: Double, classifier: PreferenceClassifier) throws {
        self.standardDeviation = standardDeviation
        kernels = try classifier.trainableParameters.filter { parameter in
            guard classifier.isHeadParameter(parameter.name), parameter.name.hasSuffix(".weight") else { return false }
            return try parameter.tensor.rank == 2
        }.map(\.tensor)
    }

    /// Adds the noise of optimizer step `step` (0-based) of `fold`: drawn on the CPU from a
    /// generator seeded by the run's seed, the fold and the step alone, so a resumed fold adds
    /// the same noise.
    func add(seed: UInt64, fold: Int, step: Int) throws {
        let generator = try Generator(seed: Self.seed(seed: seed, fold: fold, step: step))
        try withNoGrad {
            for kernel in kernels {
                let noise = try Tensor.randn(try kernel.shape, generator: generator) * standardDeviation
                try kernel.copy(from: try kernel + noise.to(try kernel.device))
            }
        }
    }

    static func seed(seed: UInt64, fold: Int, step: Int) -> UInt64 {
        var mixer = seed ^ 0x5EED_0F_A3_B5_C0FF
        mixer = (mixer ^ UInt64(truncatingIfNeeded: fold)) &* 0x9E37_79B9_7F4A_7C15
        mixer = (mixer ^ UInt64(truncatingIfNeeded: step)) &* 0xBF58_476D_1CE4_E5B9
        return mixer ^ (mixer >> 31)
    }
}
