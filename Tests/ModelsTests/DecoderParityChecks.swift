import Foundation
import Testing
@testable import Models
import Torch

/// A *-tiny-cls fixture folder of tools/make_decoder_fixtures.py or tools/make_gemma2_fixtures.py:
/// config.json, model.safetensors (a *ForSequenceClassification state dict) and reference.safetensors.
struct DecoderFixture {
    let configFile: String
    let weightsFile: String
    let reference: SafetensorsFile

    init(_ name: String) throws {
        let folder = try fixtureFolder(name)
        configFile = folder + "/config.json"
        weightsFile = folder + "/model.safetensors"
        reference = try SafetensorsFile(path: folder + "/reference.safetensors")
    }

    /// Loads the checkpoint into `classifier`'s store strictly (every tensor used, none missing).
    func load(into classifier: any DecoderSequenceClassifier) throws {
        let report = try classifier.store.load(try Checkpoint.read(path: weightsFile), file: weightsFile)
        #expect(report.missing.isEmpty && report.unused.isEmpty)
    }
}

/// The largest differences from transformers over a fixture: last hidden states (absolute, over
/// the tokens) for right and left padding, logits (absolute) for both, gradients (relative).
struct DecoderParity: CustomStringConvertible {
    var hidden = 0.0, leftHidden = 0.0, logits = 0.0, leftLogits = 0.0, gradient = 0.0
    var gradientCount = 0

    var description: String {
        "hidden \(hidden), left hidden \(leftHidden), logits \(logits), left logits \(leftLogits), "
            + "gradients \(gradient) relative (\(gradientCount))"
    }

    /// Measures `classifier` (loaded from `fixture`) and `decoder` (its `model`'s forward) against
    /// the reference; the gradients of (hidden · W · mask).sum() with respect to the `grad.` names.
    static func measure(_ classifier: any DecoderSequenceClassifier, fixture: DecoderFixture, hiddenSize: Int,
                        decoder: (Tensor, Tensor) throws -> Tensor) throws -> DecoderParity {
        let reference = fixture.reference
        var result = DecoderParity()
        let ids = try reference.tensor("input_ids"), mask = try reference.tensor("attention_mask")
        let hidden = try decoder(ids, mask)
        let expected = try reference.tensor("last_hidden_state")
        #expect(try hidden.shape == expected.shape)
        result.hidden = maskedMaxAbsDifference(try hidden.to(.float32).floats(), try expected.floats(),
                                               mask: try mask.int64s(), width: hiddenSize)
        let loss = try (hidden.to(.float32) * reference.tensor("loss_weight") * mask.unsqueeze(-1).to(.float32)).sum()
        try loss.backward()
        for name in reference.names where name.hasPrefix("grad.") {
            let parameterName = String(name.dropFirst("grad.".count))
            let parameter = try #require(classifier.store.tensor(named: parameterName), "\(name)")
            let grad = try #require(try parameter.grad, "no gradient for \(name)")
            result.gradient = max(result.gradient, relativeDifference(try grad.to(.float32).floats(), try reference.tensor(name).floats()))
            result.gradientCount += 1
        }
        try withNoGrad {
            let leftMask = try reference.tensor("left_attention_mask")
            let left = try decoder(reference.tensor("left_input_ids"), leftMask).to(.float32).floats()
            #expect(left.allSatisfy { $0.isFinite })
            result.leftHidden = maskedMaxAbsDifference(left, try reference.tensor("left_last_hidden_state").floats(),
                                                       mask: try leftMask.int64s(), width: hiddenSize)
            for side in ["", "left_"] {
                let logits = try classifier(inputIDs: reference.tensor(side + "input_ids"),
                                            attentionMask: reference.tensor(side + "attention_mask"))
                let expectedLogits = try reference.tensor(side + "logits")
                #expect(try logits.shape == expectedLogits.shape)
                let difference = maxAbsDifference(try logits.to(.float32).floats(), try expectedLogits.floats())
                if side.isEmpty { result.logits = difference } else { result.leftLogits = difference }
            }
        }
        return result
    }

    /// The float32 checks: hidden states and logits within `absolute`, gradients within 1e-3 relative.
    func expectFloat32(absolute: Double = 1e-5, gradients: Int) {
        #expect(hidden < absolute && leftHidden < absolute, "\(self)")
        #expect(logits < absolute && leftLogits < absolute, "\(self)")
        #expect(gradient < 1e-3 && gradientCount == gradients, "\(self)")
    }
}

/// Expects `body` to throw ``ModelError`` naming `field` (unsupportedConfig or invalidConfig) of `file`.
func expectConfigError(field: String, file: String = "decoder/config.json", _ body: () throws -> Void) {
    let error = #expect(throws: ModelError.self) { try body() }
    switch error {
    case let .unsupportedConfig(errorFile, errorField, _)?, let .invalidConfig(errorFile, errorField, _)?:
        #expect(errorFile == file && errorField == field, "\(String(describing: error))")
        #expect(error?.description.contains(field) == true)
    default:
        Issue.record("expected a config error naming \(field), got \(String(describing: error))")
    }
}

/// Decodes a config from JSON text.
func decodeConfig<Config: Decodable>(_ type: Config.Type, _ json: String) throws -> Config {
    try JSONDecoder().decode(Config.self, from: Data(json.utf8))
}
