import Foundation
import Testing
@testable import Models
import Torch

/// The classifier heads and four AdamW steps against PyTorch (tools/make_head_fixtures.py):
/// transformers' Bert/DebertaV2ForSequenceClassification (cross) and the S1 shared-weight model
/// (pair) from the same initial state dict, the same batches, the same optimizer settings.
@Suite struct PreferenceClassifierParityTests {
    static let cases = ["bert-pair", "bert-cross", "deberta-pair", "deberta-cross", "bert-features"]

    func input(_ reference: SafetensorsFile, step: Int, architecture: ClassifierArchitecture) throws -> ClassifierInput {
        switch architecture {
        case .cross:
            return .cross(ids: try reference.tensor("step\(step).input_ids"), mask: try reference.tensor("step\(step).attention_mask"))
        case .pair:
            var features: (a: Tensor, b: Tensor)?
            if reference.names.contains("step\(step).features_a") {
                features = (try reference.tensor("step\(step).features_a"), try reference.tensor("step\(step).features_b"))
            }
            return .pair(
                idsA: try reference.tensor("step\(step).input_ids_a"), maskA: try reference.tensor("step\(step).attention_mask_a"),
                idsB: try reference.tensor("step\(step).input_ids_b"), maskB: try reference.tensor("step\(step).attention_mask_b"),
                features: features)
        }
    }

    @Test(arguments: cases)
    func logitsGradientsAndFourAdamWStepsMatchPyTorch(name: String) throws {
        let path = try fixtureFolder("heads/\(name)")
        let architecture: ClassifierArchitecture = name.hasSuffix("cross") ? .cross : .pair
        // bert-features: S3's branch with 14 statistics per side, widths 16 and 8.
        let features = name.hasSuffix("features") ? NumericFeatureHead(count: 14, projectionWidth: 16, hiddenWidth: 8) : nil
        let classifier = try PreferenceClassifier(
            folder: try ModelFolder(path: path), architecture: architecture, numericFeatures: features, seed: 9)
        let loadReport = try classifier.loadWeights(file: path + "/initial.safetensors")
        #expect(loadReport.missing.isEmpty && loadReport.unused.isEmpty)
        let reference = try SafetensorsFile(path: path + "/reference.safetensors")

        let parameters = classifier.namedParameters
        let optimizer = try Optimizer(.adamW(), groups: ParameterGroup.decayGroups(named: parameters, learningRate: 1e-3, weightDecay: 0.01))
        for step in 0..<4 {
            // transformers' get_linear_schedule_with_warmup(warmup 1, total 5)
            let rate = 1e-3 * (step < 1 ? 0 : Double(5 - step) / 4)
            #expect(abs(rate - (try reference.tensor("step\(step).lr").item())) < 1e-9)
            try optimizer.setLearningRate(rate)
            let logits = try classifier.logits(try input(reference, step: step, architecture: architecture))
            let expectedLogits = try reference.tensor("step\(step).logits")
            #expect(try logits.shape == [4, 3])
            let logitDifference = maxAbsDifference(try logits.floats(), try expectedLogits.floats())
            #expect(logitDifference < 2e-5, "\(name) step \(step): logits differ by \(logitDifference)")
            let loss = try logits.crossEntropy(target: try reference.tensor("step\(step).labels"), labelSmoothing: 0.1)
            let lossDifference = abs(try loss.item() - (try reference.tensor("step\(step).loss").item()))
            #expect(lossDifference < 2e-5, "\(name) step \(step): loss differs by \(lossDifference)")
            try loss.backward()
            if step == 0 {
                let gradients = reference.names.filter { $0.hasPrefix("step0.grad.") }
                #expect(gradients.count >= 4)
                for gradientName in gradients {
                    let parameterName = String(gradientName.dropFirst("step0.grad.".count))
                    let parameter = try #require(classifier.store.tensor(named: parameterName), "\(parameterName)")
                    let grad = try #require(try parameter.grad, "no gradient for \(parameterName)")
                    let relative = relativeDifference(try grad.floats(), try reference.tensor(gradientName).floats())
                    #expect(relative < 1e-3, "\(name): gradient of \(parameterName) differs by \(relative) relative")
                }
            }
            let norm = try clipGradNorm(parameters.map(\.tensor), maxNorm: 1.0)
            let normDifference = abs(norm - (try reference.tensor("step\(step).grad_norm").item()))
            #expect(normDifference < 1e-4, "\(name) step \(step): gradient norm differs by \(normDifference)")
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        let finals = reference.names.filter { $0.hasPrefix("final.") }
        #expect(finals.count == parameters.count)
        var worst = 0.0
        var worstName = ""
        for finalName in finals {
            let parameterName = String(finalName.dropFirst("final.".count))
            let parameter = try #require(classifier.store.tensor(named: parameterName), "\(parameterName)")
            let difference = maxAbsDifference(try parameter.floats(), try reference.tensor(finalName).floats())
            if difference > worst { (worst, worstName) = (difference, parameterName) }
        }
        #expect(worst < 1e-5, "\(name): after four steps \(worstName) differs by \(worst)")
    }

    /// The saved state dict loads back strictly and gives the same logits; a head of the other
    /// architecture is refused with every mismatching tensor named.
    @Test func savedWeightsReloadStrictly() throws {
        let path = try fixtureFolder("heads/bert-cross")
        let classifier = try PreferenceClassifier(folder: try ModelFolder(path: path), architecture: .cross)
        try classifier.loadWeights(file: path + "/initial.safetensors")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arena-heads-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try classifier.save(to: directory + "/saved.safetensors")
        let saved = try SafetensorsFile(path: directory + "/saved.safetensors")
        #expect(saved.metadata["format"] == "pt")
        let again = try PreferenceClassifier(folder: try ModelFolder(path: path), architecture: .cross, seed: 5)
        try again.loadWeights(file: directory + "/saved.safetensors")
        let reference = try SafetensorsFile(path: path + "/reference.safetensors")
        let batch = try input(reference, step: 0, architecture: .cross)
        #expect(try classifier.logits(batch).floats() == again.logits(batch).floats())

        let pair = try PreferenceClassifier(folder: try ModelFolder(path: path), architecture: .pair)
        #expect {
            try pair.loadWeights(file: directory + "/saved.safetensors")
        } throws: { error in
            guard case let ModelError.weightMismatch(_, _, unused, wrongShape) = error else { return false }
            return unused.contains("bert.pooler.dense.weight") && wrongShape.map(\.name) == ["classifier.weight"]
        }
        #expect(throws: ModelError.self) { try pair.logits(batch) }
    }

    /// A pretrained bare encoder loads under the `bert.` prefix with its pooler, the head stays
    /// new, and word embeddings grow for added tokens (the pretrained rows unchanged).
    @Test func pretrainedEncoderLoadsWithNewHeadAndAddedTokens() throws {
        let folder = try ModelFolder(path: try fixtureFolder("bert-tiny"))
        let classifier = try PreferenceClassifier(folder: folder, architecture: .cross, vocabularySize: 124)
        let report = try classifier.loadPretrainedEncoder(from: folder)
        #expect(report.missing.sorted() == ["classifier.bias", "classifier.weight"])
        #expect(report.unused.isEmpty)
        let embeddings = try #require(classifier.store.tensor(named: "bert.embeddings.word_embeddings.weight"))
        #expect(try embeddings.shape == [124, 32])
        let pretrained = try SafetensorsFile(path: folder.path + "/model.safetensors")
        let original = try pretrained.tensor("embeddings.word_embeddings.weight").floats()
        let loaded = try embeddings.floats()
        #expect(Array(loaded.prefix(original.count)) == original)
        let added = loaded.suffix(4 * 32)
        #expect(added.contains { $0 != 0 })
        let pooler = try #require(classifier.store.tensor(named: "bert.pooler.dense.weight"))
        #expect(try pooler.floats() == pretrained.tensor("pooler.dense.weight").floats())

        let pair = try PreferenceClassifier(folder: folder, architecture: .pair)
        let pairReport = try pair.loadPretrainedEncoder(from: folder)
        #expect(pairReport.unused.sorted() == ["pooler.dense.bias", "pooler.dense.weight"])
    }
}
