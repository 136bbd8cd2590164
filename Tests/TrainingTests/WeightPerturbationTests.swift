import ArenaData
import Foundation
import Models
import Testing
import Torch

@testable import Finetuning
@testable import Prediction
@testable import Runs

/// A folder of Tests/ModelsTests/Fixtures (the fixtures are that target's resources).
private func modelsFixture(_ name: String) -> String {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<2 { root.deleteLastPathComponent() }
    return root.appendingPathComponent("ModelsTests/Fixtures/" + name).path
}

private func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
}

/// Adversarial weight perturbation and S3's head-weight noise (WeightPerturbation.swift).
@Suite struct WeightPerturbationTests {
    /// One attack by hand: w = [1, -2, 0.5, 0.3], g = [3, 4, 0, 0], adv_lr 0.1, adv_eps 0.1:
    /// ||g|| = 5, ||w|| = sqrt(5.34), the step is 0.1 g / 5 * sqrt(5.34) = [0.13864, 0.18486, 0, 0];
    /// 1.13864 is clamped to 1 + 0.1 = 1.1, -1.81514 stays (the bound is -1.8), the others keep
    /// their value. The pass sees the perturbed weights and no gradient (they were cleared); the
    /// weights come back afterwards, and also when the pass throws. A zero gradient moves nothing.
    @Test func oneAttackStepClampsAndRestores() throws {
        let weight = try Tensor([1, -2, 0.5, 0.3] as [Float], shape: [4]).requiringGrad()
        let other = try Tensor([2, 2] as [Float], shape: [2]).requiringGrad()
        let loss = try (weight * (try Tensor([3, 4, 0, 0] as [Float], shape: [4]))).sum() + other.sum()
        try loss.backward()
        let optimizer = try Optimizer(.adamW(), groups: [ParameterGroup(parameters: [weight, other], learningRate: 1e-3, weightDecay: 0)])
        let settings = AdversarialWeightPerturbation(learningRate: 0.1, epsilon: 0.1, parameterFilter: "weight", gradient: .adversarial)
        let attack = try WeightAttack(settings: settings, named: [("layer.weight", weight), ("layer.bias", other)])
        #expect(attack.parameters.map(\.name) == ["layer.weight"])
        let step = 0.1 / 5 * (5.34 as Double).squareRoot()
        let seen = try attack.perturb(clearing: optimizer) { () throws -> [Float] in
            #expect(try weight.grad == nil && other.grad == nil, "the adversarial variant clears the gradients first")
            #expect(try other.floats() == [2, 2], "parameters outside the filter are not moved")
            return try weight.floats()
        }
        let expected: [Double] = [1.1, -2 + 4 * step, 0.5, 0.3]
        #expect(abs(4 * step - 0.18486) < 1e-5)
        for (value, wanted) in zip(seen, expected) { #expect(abs(Double(value) - wanted) < 1e-6, "\(seen) vs \(expected)") }
        #expect(try weight.floats() == [1, -2, 0.5, 0.3], "restored")

        // The sum variant keeps the clean gradient; a throwing pass still restores.
        try weight.zeroGrad()
        try (weight * 2.0).sum().backward()
        var sum = settings
        sum.gradient = .sum
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try WeightAttack(settings: sum, named: [("w.weight", weight)]).perturb(clearing: optimizer) { () throws -> Void in
                #expect(try weight.grad?.floats() == [2, 2, 2, 2])
                #expect(try weight.floats() != [1, -2, 0.5, 0.3])
                throw Failure()
            }
        }
        #expect(try weight.floats() == [1, -2, 0.5, 0.3])

        // A zero gradient (norm 0) leaves the weight as it is, as `norm1 != 0` does.
        let zero = try Tensor.zeros([4])
        #expect(try WeightAttack.attacked(weight.detach(), grad: zero, settings: settings).floats() == [1, -2, 0.5, 0.3])
        #expect(throws: TrainingError.self) { try WeightAttack(settings: settings, named: [("layer.bias", other)]) }
    }

    /// Four AdamW steps with AWP through arena's attack against the public AWP class in PyTorch
    /// (tools/make_awp_fixtures.py): transformers' BertForSequenceClassification on the tiny BERT,
    /// dropout off. Found (x86-64 CPU, one thread): the clean and adversarial losses equal to the
    /// last bit, every weight within 3.8e-7 after four steps (float32); the bound is 1e-5, and
    /// the three cases' weights lie more than 1e-4 apart.
    @Test(arguments: ["adversarial", "sum", "attention"])
    func fourStepsMatchPyTorch(name: String) throws {
        let settings: AdversarialWeightPerturbation = switch name {
        case "adversarial": AdversarialWeightPerturbation(learningRate: 1, epsilon: 0.2, parameterFilter: "weight", gradient: .adversarial)
        case "sum": AdversarialWeightPerturbation(learningRate: 0.02, epsilon: 0.1, parameterFilter: "weight", gradient: .sum)
        default: AdversarialWeightPerturbation(learningRate: 0.5, epsilon: 0.3, parameterFilter: "attention", gradient: .sum)
        }
        let folder = modelsFixture("heads/bert-cross")
        let classifier = try PreferenceClassifier(folder: try ModelFolder(path: folder), architecture: .cross, seed: 9)
        try classifier.loadWeights(file: folder + "/initial.safetensors")
        classifier.training = true
        let batches = try SafetensorsFile(path: folder + "/reference.safetensors")
        let expected = try SafetensorsFile(path: modelsFixture("awp/\(name).safetensors"))
        let named = classifier.namedParameters
        let optimizer = try Optimizer(.adamW(fused: true), groups: ParameterGroup.decayGroups(named: named, learningRate: 1e-3, weightDecay: 0.01))
        let attack = try WeightAttack(settings: settings, named: named)
        #expect(attack.parameters.count == (name == "attention" ? 20 : 22))
        var worstLoss = 0.0
        for step in 0..<4 {
            func loss() throws -> Tensor {
                let input = ClassifierInput.cross(ids: try batches.tensor("step\(step).input_ids"), mask: try batches.tensor("step\(step).attention_mask"))
                return try classifier.logits(input).crossEntropy(target: try batches.tensor("step\(step).labels"), labelSmoothing: 0.1)
            }
            let clean = try loss()
            try clean.backward()
            let adversarial = try attack.perturb(clearing: optimizer) { () throws -> Double in
                let value = try loss()
                try value.backward()
                return try value.item()
            }
            worstLoss = max(worstLoss, abs(try clean.item() - expected.tensor("step\(step).loss").item()))
            worstLoss = max(worstLoss, abs(adversarial - (try expected.tensor("step\(step).adversarial_loss").item())))
            _ = try clipGradNorm(named.map(\.tensor), maxNorm: 1)
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        #expect(worstLoss < 1e-5, "\(name): losses differ by \(worstLoss)")
        var worst = 0.0
        var worstName = ""
        var moved = 0.0
        let initial = try SafetensorsFile(path: folder + "/initial.safetensors")
        for (parameterName, tensor) in named {
            let difference = maxAbsDifference(try tensor.floats(), try expected.tensor("final." + parameterName).floats())
            if difference > worst { (worst, worstName) = (difference, parameterName) }
            moved = max(moved, maxAbsDifference(try tensor.floats(), try initial.tensor(parameterName).floats()))
        }
        #expect(worst < 1e-5, "\(name): after four steps \(worstName) differs by \(worst)")
        #expect(moved > 1e-3, "the weights moved by \(moved)")
        // The tolerance tells the variants apart: another case's weights are far from these.
        let other = try SafetensorsFile(path: modelsFixture("awp/\(name == "sum" ? "adversarial" : "sum").safetensors"))
        let apart = try named.map { try maxAbsDifference(other.tensor("final." + $0.name).floats(), expected.tensor("final." + $0.name).floats()) }.max() ?? 0
        #expect(apart > 1e-4, "\(name): the cases differ by \(apart)")
    }

    /// S3's noise: only the head's weight matrices change (the cross head's pooler and
    /// classifier, the pair head's feature projection, hidden layer and classifier), by noise of
    /// the given deviation that depends on the seed, the fold and the step alone.
    @Test func headNoiseTouchesOnlyTheHeadKernels() throws {
        let model = try TinyBert.make()
        func classifier(_ architecture: ClassifierArchitecture) throws -> PreferenceClassifier {
            let features = architecture == .pair ? NumericFeatureHead(count: 14, projectionWidth: 16, hiddenWidth: 8) : nil
            return try PreferenceClassifier(folder: try ModelFolder(path: model), architecture: architecture, numericFeatures: features, seed: 2)
        }
        for (architecture, kernels) in [(ClassifierArchitecture.cross, ["bert.pooler.dense.weight", "classifier.weight"]),
                                        (.pair, ["feature_projection.weight", "hidden.weight", "classifier.weight"])] {
            let a = try classifier(architecture), b = try classifier(architecture), c = try classifier(architecture)
            let before = try a.namedParameters.map { try $0.tensor.floats() }
            try HeadWeightNoise(standardDeviation: 1e-3, classifier: a).add(seed: 7, fold: 1, step: 4)
            try HeadWeightNoise(standardDeviation: 1e-3, classifier: b).add(seed: 7, fold: 1, step: 4)
            try HeadWeightNoise(standardDeviation: 1e-3, classifier: c).add(seed: 7, fold: 1, step: 5)
            var changed: [String] = []
            var differences: [Double] = []
            for (index, (name, tensor)) in a.namedParameters.enumerated() {
                let after = try tensor.floats()
                #expect(after == (try b.namedParameters[index].tensor.floats()), "the same seed, fold and step: the same noise")
                if after != before[index] {
                    changed.append(name)
                    differences += zip(after, before[index]).map { Double($0 - $1) }
                    #expect(after != (try c.namedParameters[index].tensor.floats()), "another step: other noise")
                }
            }
            #expect(changed == kernels)
            let mean = differences.reduce(0, +) / Double(differences.count)
            let deviation = (differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(differences.count)).squareRoot()
            #expect(abs(deviation - 1e-3) < 1e-4 && abs(mean) < 2e-4, "noise deviation \(deviation), mean \(mean) over \(differences.count)")
        }
    }

    func settings(model: String) -> FinetuneSettings {
        FinetuneSettings(
            architecture: .cross, model: model, maxLength: 48, batchSize: 8, epochs: 2, learningRate: 3e-3, warmupFraction: 0.1,
            labelSmoothing: 0, headDropout: 0.2, swapAveraging: true, calibrate: false, edgeCases: false, evaluationsPerEpoch: 2,
            validationFraction: 0.25, seed: 4)
    }

    func untimed(_ records: [StepRecord]) -> [StepRecord] { records.map { var r = $0; r.seconds = nil; return r } }

    /// AWP from epoch 1 (0-based) leaves epoch 0 as a plain run trains it and changes epoch 1;
    /// a start after the last epoch is a plain run; head noise (added before each step's
    /// forward) changes every step's loss.
    @Test func perturbationsChangeTrainingWhenAndOnlyWhenOn() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        let battles = markedBattles(48)
        let plainSettings = settings(model: model)
        let plain = try FinetuneTraining.run(battles: battles, settings: plainSettings, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        let perEpoch = plain.records.count / 2
        #expect(perEpoch == 5)

        var late = plainSettings
        late.adversarialWeightPerturbation = AdversarialWeightPerturbation(learningRate: 0.5, epsilon: 0.2, startEpoch: 1)
        let awp = try FinetuneTraining.run(battles: battles, settings: late, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        #expect(untimed(Array(awp.records.prefix(perEpoch))) == untimed(Array(plain.records.prefix(perEpoch))))
        // Step perEpoch + 1's update is the first with AWP; the loss of the step after it differs.
        #expect(awp.records[perEpoch + 1].trainingLoss != plain.records[perEpoch + 1].trainingLoss)

        var never = late
        never.adversarialWeightPerturbation?.startEpoch = 2
        let unused = try FinetuneTraining.run(battles: battles, settings: never, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        #expect(untimed(unused.records) == untimed(plain.records))
        #expect(unused.predictions == plain.predictions)

        // adv_eps 1e-9 is below float32's resolution: every weight is clamped back to itself, so the
        // second pass sees the same weights and, with dropout on, must draw the same masks; its
        // gradient, which the step follows, is then the clean one and the run a plain run.
        var invisible = plainSettings
        invisible.adversarialWeightPerturbation = AdversarialWeightPerturbation(learningRate: 1, epsilon: 1e-9, gradient: .adversarial)
        let same = try FinetuneTraining.run(battles: battles, settings: invisible, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        #expect(untimed(same.records) == untimed(plain.records))
        #expect(same.predictions == plain.predictions)

        var noisy = plainSettings
        noisy.headWeightNoise = 1e-2
        let noised = try FinetuneTraining.run(battles: battles, settings: noisy, folds: 1, run: try temporaryRunFolder(), resume: false, device: .cpu)
        #expect(zip(noised.records, plain.records).allSatisfy { $0.trainingLoss != $1.trainingLoss })
    }

    /// A fold with AWP (dropout on, so the perturbed pass must draw the same masks) and head noise,
    /// stopped after step 3 and resumed, ends with the same weights, history and predictions as
    /// the fold trained without a stop.
    @Test func resumedFoldWithPerturbationsEqualsUninterruptedFold() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        let battles = markedBattles(48)
        var config = settings(model: model)
        config.adversarialWeightPerturbation = AdversarialWeightPerturbation(learningRate: 0.5, epsilon: 0.2, startEpoch: 0, gradient: .sum)
        config.headWeightNoise = 1e-3
        config.accumulation = 2
        config.batchSize = 4

        let straight = try temporaryRunFolder()
        let expected = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: straight, resume: false, device: .cpu)
        let stopped = try temporaryRunFolder()
        #expect(throws: FinetuneInterrupted.self) {
            try FinetuneTraining.run(
                battles: battles, settings: config, folds: 1, run: stopped, resume: false, device: .cpu, shouldStop: { _, step in step == 3 })
        }
        #expect(FileManager.default.fileExists(atPath: stopped.file("fold-0.state/state.json")))
        let resumed = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: stopped, resume: true, device: .cpu)
        #expect(untimed(resumed.records) == untimed(expected.records))
        #expect(resumed.predictions == expected.predictions)
        let a = try SafetensorsFile(path: straight.file("fold-0.safetensors"))
        let b = try SafetensorsFile(path: stopped.file("fold-0.safetensors"))
        #expect(!a.names.isEmpty)
        for name in a.names { #expect(try a.tensor(name).floats() == b.tensor(name).floats(), "\(name)") }
    }

    /// Range checks name the field; settings saved without the new fields load with both off;
    /// settings with them round-trip.
    @Test func settingsAreCheckedAndOlderFilesLoad() throws {
        var settings = FinetuneSettings(architecture: .cross, model: "m")
        #expect(settings.adversarialWeightPerturbation == nil && settings.headWeightNoise == nil)
        settings.adversarialWeightPerturbation = AdversarialWeightPerturbation()
        #expect(throws: Never.self) { try settings.validate() }
        let cases: [(WritableKeyPath<AdversarialWeightPerturbation, Double>, Double, String)] = [
            (\.learningRate, 0, "learningRate"), (\.learningRate, .infinity, "learningRate"), (\.epsilon, -0.1, "epsilon"), (\.epsilon, .nan, "epsilon"),
        ]
        for (path, value, field) in cases {
            var bad = settings
            bad.adversarialWeightPerturbation?[keyPath: path] = value
            #expect(throws: TrainingError.self) { try bad.validate() }
            do { try bad.validate() } catch {
                if case let .setting(name, _) = error { #expect(name == "adversarialWeightPerturbation." + field) } else { Issue.record("\(error)") }
            }
        }
        var bad = settings
        bad.adversarialWeightPerturbation?.startEpoch = -1
        #expect(throws: TrainingError.setting(name: "adversarialWeightPerturbation.startEpoch", problem: "must not be negative (got -1)")) { try bad.validate() }
        bad = settings
        bad.adversarialWeightPerturbation?.parameterFilter = ""
        #expect(throws: TrainingError.setting(name: "adversarialWeightPerturbation.parameterFilter", problem: "must not be empty")) { try bad.validate() }
        bad = settings
        bad.headWeightNoise = 0
        #expect(throws: TrainingError.setting(name: "headWeightNoise", problem: "must be a positive finite number (got 0.0)")) { try bad.validate() }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-awp-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let folder = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        settings.headWeightNoise = 1e-4
        settings.adversarialWeightPerturbation = AdversarialWeightPerturbation(learningRate: 0.1, epsilon: 0.05, startEpoch: 1, parameterFilter: "attention", gradient: .sum)
        try RunFolder.writeJSON(settings, path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"adversarial_weight_perturbation\"") && text.contains("\"head_weight_noise\""), "\(text)")
        #expect(try RunFolder.readJSON(FinetuneSettings.self, runPath: folder, name: name) == settings)
        // A plain run's file has neither field.
        try RunFolder.writeJSON(FinetuneSettings(architecture: .cross, model: "m"), path: path)
        let plainText = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!plainText.contains("weight_perturbation") && !plainText.contains("noise"))
        try #"{"architecture": "cross", "model": "m", "batch_size": 4}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let old = try RunFolder.readJSON(FinetuneSettings.self, runPath: folder, name: name)
        #expect(old.adversarialWeightPerturbation == nil && old.headWeightNoise == nil)
        try #"{"architecture": "cross", "model": "m", "adversarial_weight_perturbation": {"epsilon": 0.1}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let partial = try RunFolder.readJSON(FinetuneSettings.self, runPath: folder, name: name)
        #expect(partial.adversarialWeightPerturbation == AdversarialWeightPerturbation(epsilon: 0.1))
    }
}
