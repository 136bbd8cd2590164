import Finetuning
import Models

extension FinetuneCommand {
    /// The option of each settings field whose value the option list shows as "--option value"
    /// (flags and composite fields are written out in ``optionList(_:)``).
    static let valueOptions: [String: String] = [
        "architecture": "--architecture", "maxLength": "--max-length", "turns": "--turns", "pairFormat": "--pair-format",
        "batchSize": "--batch-size", "accumulation": "--accumulate", "epochs": "--epochs", "maxSteps": "--max-steps",
        "learningRate": "--learning-rate", "headLearningRate": "--head-learning-rate", "weightDecay": "--weight-decay",
        "warmupFraction": "--warmup", "schedule": "--schedule", "labelSmoothing": "--label-smoothing", "clipNorm": "--clip-norm",
        "headDropout": "--head-dropout", "precision": "--precision", "fixedTemperature": "--temperature",
        "evaluationsPerEpoch": "--evaluations-per-epoch", "patience": "--patience", "plateauPatience": "--plateau-patience",
        "plateauFactor": "--plateau-factor", "validationFraction": "--validation-fraction", "headWeightNoise": "--head-weight-noise",
    ]
    /// Fields that are flags: on is "--name", off "--no-name".
    static let flagOptions: [String: String] = [
        "textCleanup": "text-cleanup", "dropDuplicates": "drop-duplicates", "swapAugmentation": "swap-augmentation",
        "swapAveraging": "swap-averaging", "calibrate": "calibration", "edgeCases": "edge-cases",
    ]
    /// Fields an option list leaves out: given apart from the preset (--model, --seed), or the
    /// preset's own name.
    static let unlisted: Set<String> = ["model", "seed", "preset"]

    /// `settings` as the options that give them, every field (a field the table does not know
    /// is shown as "name=value", and a test keeps that from happening).
    static func optionList(_ settings: FinetuneSettings) -> [String] {
        var options: [String] = []
        for child in Mirror(reflecting: settings).children {
            guard let label = child.label, !unlisted.contains(label) else { continue }
            let value = unwrap(child.value)
            if let flag = flagOptions[label], let on = value as? Bool {
                options.append(on ? "--\(flag)" : "--no-\(flag)")
            } else if let option = valueOptions[label] {
                // An absent optional: clipping off is --clip-norm 0, the others keep their default.
                if let value { options.append("\(option) \(describe(value))") } else if label == "clipNorm" { options.append("--clip-norm 0") }
            } else if label == "numericFeatures" {
                if let head = value as? NumericFeatureHead {
                    options.append("--numeric-features --feature-widths \(head.projectionWidth),\(head.hiddenWidth)")
                } else {
                    options.append("--no-numeric-features")
                }
            } else if label == "adversarialWeightPerturbation" {
                if let awp = value as? AdversarialWeightPerturbation {
                    options.append(
                        "--awp --awp-lr \(awp.learningRate) --awp-eps \(awp.epsilon) --awp-start-epoch \(awp.startEpoch) --awp-parameters \(awp.parameterFilter) --awp-gradient \(awp.gradient.rawValue)")
                }
            } else if label == "lora" {
                if let lora = value as? LoraSettings {
                    options.append("--lora --lora-rank \(lora.rank) --lora-alpha \(lora.alpha) --lora-dropout \(lora.dropout) "
                        + "--lora-targets \(lora.targets.joined(separator: ","))\(lora.rslora ? " --lora-rslora" : "") --lora-base \(lora.base.rawValue)"
                        + (lora.exportMerged ? " --lora-export-merged" : ""))
                }
            } else if label == "gradientCheckpointing" {
                if let on = value as? Bool, on { options.append("--gradient-checkpointing") }
            } else if label == "distillation" {
                if let distillation = value as? Distillation {
                    options.append("--teacher \(distillation.teacher) --teacher-weight \(distillation.weight)")
                }
            } else if label == "epochRamp" {
                if let ramp = value as? LearningRateSchedule.EpochRamp {
                    options.append("--ramp-start \(ramp.start) --ramp-epochs \(ramp.epochs) --ramp-decay \(ramp.decay) --ramp-horizon \(ramp.horizon)")
                }
            } else {
                options.append("\(label)=\(value.map(describe) ?? "nil")")
            }
        }
        return options
    }

    private static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }

    private static func describe(_ value: Any) -> String {
        if let raw = value as? any RawRepresentable<String> { return raw.rawValue }
        return "\(value)"
    }

    /// The presets for `--help`: each with its notebook and every value it sets.
    static var presetHelp: String {
        FinetunePreset.allCases.map { preset in
            "\(preset.rawValue): \(preset.notebook). Sets \(optionList(preset.settings(model: "")).joined(separator: " ")). (\(preset.sources).)"
        }.joined(separator: "\n\n")
    }
}
