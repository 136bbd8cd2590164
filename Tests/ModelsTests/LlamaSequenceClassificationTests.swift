import Foundation
import Testing
@testable import Models
import Torch

/// Fixtures/llama-tiny-cls (tools/make_llama_fixtures.py): a LlamaForSequenceClassification state
/// dict (`model.*`, `score.weight`) and transformers' logits for it.
@Suite struct LlamaSequenceClassificationTests {
    func build() throws -> (LlamaForSequenceClassification, String, SafetensorsFile) {
        let folder = try fixtureFolder("llama-tiny-cls")
        let configFile = folder + "/config.json"
        let config = try LlamaConfig.read(file: configFile)
        #expect(config.padTokenId == 0)
        let classifier = try LlamaForSequenceClassification(config: config, store: try ParameterStore(seed: 1),
                                                            labelCount: 3, configFile: configFile)
        let reference = try SafetensorsFile(path: folder + "/reference.safetensors")
        return (classifier, folder + "/model.safetensors", reference)
    }

    /// Loaded strictly (every checkpoint tensor used, none missing), the 3 logits of each row
    /// within 1e-5 of transformers', for right and left padding.
    @Test func logitsMatchTransformers() throws {
        let (classifier, weightsFile, reference) = try build()
        let report = try classifier.store.load(try Checkpoint.read(path: weightsFile), file: weightsFile)
        #expect(report.missing.isEmpty && report.unused.isEmpty)
        let names = classifier.store.parameters.map(\.name)
        #expect(names.first == "model.embed_tokens.weight")
        #expect(names.last == "score.weight")
        #expect(try classifier.store.tensor(named: "score.weight")?.shape == [3, 32])
        for side in ["", "left_"] {
            let logits = try withNoGrad {
                try classifier(inputIDs: reference.tensor(side + "input_ids"),
                               attentionMask: reference.tensor(side + "attention_mask"))
            }
            let expected = try reference.tensor(side + "logits")
            #expect(try logits.shape == [3, 3])
            #expect(try expected.shape == [3, 3])
            let a = try logits.floats(), b = try expected.floats()
            let difference = zip(a, b).map { Double(Swift.abs($0 - $1)) }.max() ?? .infinity
            #expect(difference < 1e-5, "\(side)logits differ by \(difference)")
        }
    }

    /// transformers' rule: the token before the first pad id, modulo the length.
    @Test func sequenceEndsFollowTransformersRule() throws {
        let ids = try Tensor([5, 6, 0, 0, 7, 8, 9, 4, 0, 0, 3, 2, 5, 0, 6, 0] as [Int64], shape: [4, 4])
        let ends = try LlamaForSequenceClassification.sequenceEnds(inputIDs: ids, padTokenId: 0).int64s()
        // right padding, no padding, left padding, pad id inside the row
        #expect(ends == [1, 3, 3, 0])
        #expect(throws: ModelError.self) {
            _ = try LlamaForSequenceClassification.sequenceEnds(inputIDs: ids, padTokenId: nil)
        }
        let single = try LlamaForSequenceClassification.sequenceEnds(inputIDs: ids.narrow(dim: 0, start: 0, length: 1),
                                                                     padTokenId: nil)
        #expect(try single.int64s() == [3])
    }

    /// A checkpoint without `score.weight` (a bare LlamaModel's) is a weight mismatch naming it.
    @Test func missingScoreWeightIsReported() throws {
        let (classifier, weightsFile, _) = try build()
        var weights = try Checkpoint.read(path: weightsFile)
        #expect(weights.removeValue(forKey: "score.weight") != nil)
        let error = #expect(throws: ModelError.self) {
            _ = try classifier.store.load(weights, file: weightsFile)
        }
        guard case let .weightMismatch(file, missing, unused, wrongShape)? = error else {
            Issue.record("expected weightMismatch, got \(String(describing: error))")
            return
        }
        #expect(file == weightsFile)
        #expect(missing == ["score.weight"])
        #expect(unused.isEmpty && wrongShape.isEmpty)
        #expect(error?.description.contains("score.weight") == true)
    }
}
