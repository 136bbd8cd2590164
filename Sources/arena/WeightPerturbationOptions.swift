import ArgumentParser
import Finetuning

/// `arena finetune`'s weight-perturbation options (Sources/Finetuning/WeightPerturbation.swift),
/// all off by default.
struct WeightPerturbationOptions: ParsableArguments {
    @Flag(help: "Adversarial weight perturbation as the Feedback Prize / LMSYS solutions' AWP class: each step, move the weights along their gradient, train on the same batch's loss there, put the weights back.")
    var awp = false

    @Option(help: "With --awp: adv_lr, the step along the normalised gradient in units of the weight's norm (default 1).")
    var awpLr: Double?

    @Option(help: "With --awp: adv_eps, each weight stays within this share of its magnitude (default 0.2).")
    var awpEps: Double?

    @Option(help: "With --awp: the first epoch perturbed, counted from 0 (default 0).")
    var awpStartEpoch: Int?

    @Option(help: "With --awp: perturb the parameters whose name contains this (default weight).")
    var awpParameters: String?

    @Option(help: "With --awp: the gradient of the step: adversarial (the perturbed loss's alone, as the public AWP class) or sum (the clean loss's plus the perturbed loss's, as DESIGN.md describes AWP; default sum).")
    var awpGradient: AdversarialWeightPerturbation.Gradient?

    @Option(help: "S3's \"AWP\" callback: add Gaussian noise of this standard deviation to the head's weight matrices at every step, never removed (the notebook: 1e-4; 0 turns a preset's noise off).")
    var headWeightNoise: Double?

    func validate() throws {
        guard !awp else { return }
        let given = [("--awp-lr", awpLr != nil), ("--awp-eps", awpEps != nil), ("--awp-start-epoch", awpStartEpoch != nil),
                     ("--awp-parameters", awpParameters != nil), ("--awp-gradient", awpGradient != nil)]
        if let (name, _) = given.first(where: { $0.1 }) { throw ValidationError("\(name) needs --awp") }
    }

    /// Sets the perturbation fields of `settings`.
    func apply(to settings: inout FinetuneSettings) {
        if awp {
            let defaults = AdversarialWeightPerturbation()
            settings.adversarialWeightPerturbation = AdversarialWeightPerturbation(
                learningRate: awpLr ?? defaults.learningRate, epsilon: awpEps ?? defaults.epsilon,
                startEpoch: awpStartEpoch ?? defaults.startEpoch, parameterFilter: awpParameters ?? defaults.parameterFilter,
                gradient: awpGradient ?? defaults.gradient)
        }
        // 0 turns a preset's noise off.
        if let headWeightNoise { settings.headWeightNoise = headWeightNoise == 0 ? nil : headWeightNoise }
    }

    /// The option of each settings field, for ``CommandLineErrors``.
    static let optionNames: [String: String] = [
        "adversarialWeightPerturbation.learningRate": "--awp-lr", "adversarialWeightPerturbation.epsilon": "--awp-eps",
        "adversarialWeightPerturbation.startEpoch": "--awp-start-epoch",
        "adversarialWeightPerturbation.parameterFilter": "--awp-parameters", "headWeightNoise": "--head-weight-noise",
    ]
}

extension AdversarialWeightPerturbation.Gradient: ExpressibleByArgument {}
