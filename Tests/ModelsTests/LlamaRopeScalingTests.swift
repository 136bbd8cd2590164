import Foundation
import Testing
@testable import Models
import Torch

/// A LlamaModel of `config` with llama-tiny's weights (Fixtures/llama-tiny/model.safetensors),
/// loaded strictly.
func llamaTinyModel(config: LlamaConfig, configFile: String) throws -> LlamaModel {
    let weightsFile = try fixtureFolder("llama-tiny") + "/model.safetensors"
    let model = try LlamaModel(config: config, store: try ParameterStore(seed: 1), configFile: configFile)
    try model.store.load(try Checkpoint.read(path: weightsFile), file: weightsFile, prefix: "model",
                         policy: LoadPolicy(allowUnused: LlamaModel.ignoredCheckpointTensors))
    return model
}

/// Fixtures/llama-rope-* (tools/make_rope_scaling_fixtures.py): llama-tiny's weights under each
/// `rope_scaling` kind, against transformers' LlamaModel (4.40.2 for linear and dynamic, 4.43.4 for
/// llama3).
@Suite struct LlamaRopeScalingTests {
    /// Every token's last hidden state within 1e-5 of transformers' for right-padded batches; the
    /// same weights with plain RoPE are elsewhere (> 1e-3) where the scaling applies, and equal
    /// where it does not (dynamic, a batch no longer than max_position_embeddings).
    @Test(arguments: [("llama-rope-linear", ""), ("llama-rope-dynamic", ""), ("llama-rope-dynamic", "short_"),
                      ("llama-rope-llama3", "")])
    func hiddenStatesMatchTransformers(fixture: String, batch: String) throws {
        let folder = try fixtureFolder(fixture)
        let configFile = folder + "/config.json"
        let config = try LlamaConfig.read(file: configFile)
        #expect(config.ropeScaling != nil)
        let reference = try SafetensorsFile(path: folder + "/reference.safetensors")
        let ids = try reference.tensor(batch + "input_ids"), mask = try reference.tensor(batch + "attention_mask")
        let expected = try reference.tensor(batch + "last_hidden_state").floats()
        let model = try llamaTinyModel(config: config, configFile: configFile)
        let hidden = try withNoGrad { try model(inputIDs: ids, attentionMask: mask) }
        let difference = maskedMaxAbsDifference(try hidden.floats(), expected, mask: try mask.int64s(), width: config.hiddenSize)
        print("\(fixture) \(batch.isEmpty ? "long" : batch): hidden states differ by \(difference)")
        #expect(difference < 1e-5, "\(fixture) \(batch): last hidden state differs by \(difference)")

        var plainConfig = config
        plainConfig.ropeScaling = nil
        let plain = try llamaTinyModel(config: plainConfig, configFile: configFile)
        let plainHidden = try withNoGrad { try plain(inputIDs: ids, attentionMask: mask) }
        let plainDifference = maskedMaxAbsDifference(try plainHidden.floats(), expected, mask: try mask.int64s(),
                                                     width: config.hiddenSize)
        if batch == "short_" {
            #expect(try ids.size(1) <= config.maxPositionEmbeddings)
            #expect(plainDifference < 1e-5, "dynamic scaling applied to a short batch: \(plainDifference)")
        } else {
            #expect(plainDifference > 1e-3, "\(fixture): the scaling does not show (\(plainDifference))")
        }
    }

    /// The kinds decode with their fields; dynamic keeps max_position_embeddings.
    @Test func scalingKindsDecode() throws {
        let llama3 = try decodeLlama(#"{"rope_type": "llama3", "factor": 8, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#)
        #expect(try llama3.rotaryScaling(file: "c") == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4,
                                                               originalMaxPositionEmbeddings: 8192))
        let dynamic = try decodeLlama(#"{"type": "dynamic", "factor": 2.0}"#, extra: #", "max_position_embeddings": 8"#)
        #expect(try dynamic.rotaryScaling(file: "c") == .dynamic(factor: 2, maxPositionEmbeddings: 8))
        #expect(try decodeLlama(#"{"type": "linear", "factor": 4.0}"#).rotaryScaling(file: "c") == .linear(factor: 4))
        #expect(try decodeLlama("null").rotaryScaling(file: "c") == nil)
    }

    /// Kinds not implemented are refused by name (field rope_scaling, the kind in the reason).
    @Test(arguments: [#"{"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}"#,
                      #"{"rope_type": "longrope", "factor": 2.0}"#, #"{"factor": 2.0}"#])
    func unknownKindsAreRefused(scaling: String) throws {
        let config = try decodeLlama(scaling)
        let kind = try #require(config.ropeScaling?.kind)
        let error = #expect(throws: ModelError.self) {
            _ = try LlamaModel(config: config, store: try ParameterStore(), configFile: "llama/config.json")
        }
        guard case let .unsupportedConfig(file, field, reason)? = error else {
            Issue.record("expected unsupportedConfig, got \(String(describing: error))")
            return
        }
        #expect(file == "llama/config.json" && field == "rope_scaling")
        #expect(reason.contains("\"\(kind)\""), "\(reason)")
    }

    /// Bad or missing parameters are refused naming the field: linear / dynamic need factor > 1
    /// (transformers 4.40.2), llama3 factor >= 1 and 0 < low_freq_factor < high_freq_factor.
    @Test(arguments: [
        (#"{"type": "linear", "factor": 1.0}"#, "rope_scaling.factor"),
        (#"{"type": "linear", "factor": 0.5}"#, "rope_scaling.factor"),
        (#"{"type": "dynamic", "factor": -2.0}"#, "rope_scaling.factor"),
        (#"{"type": "dynamic"}"#, "rope_scaling.factor"),
        (#"{"rope_type": "llama3", "factor": 0.5, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#, "rope_scaling.factor"),
        (#"{"rope_type": "llama3", "factor": 8.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#, "rope_scaling.low_freq_factor"),
        (#"{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 0.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#, "rope_scaling.low_freq_factor"),
        (#"{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#, "rope_scaling.high_freq_factor"),
        (#"{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0}"#, "rope_scaling.original_max_position_embeddings"),
        (#"{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 0}"#, "rope_scaling.original_max_position_embeddings"),
    ])
    func badParametersAreRefusedByField(scaling: String, expectedField: String) throws {
        let config = try decodeLlama(scaling)
        let error = #expect(throws: ModelError.self) { try config.validate(file: "llama/config.json") }
        guard case let .invalidConfig(file, field, _)? = error else {
            Issue.record("expected invalidConfig, got \(String(describing: error))")
            return
        }
        #expect(file == "llama/config.json" && field == expectedField)
        #expect(error?.description.contains(expectedField) == true)
    }

    /// transformers 4.43's `mlp_bias: true` (biases on the MLP) is refused by name, not left to
    /// fail at weight loading.
    @Test func mlpBiasIsRefusedByName() throws {
        let config = try decodeLlama("null", extra: #", "mlp_bias": true"#)
        let error = #expect(throws: ModelError.self) { try config.validate(file: "llama/config.json") }
        guard case let .unsupportedConfig(file, field, _)? = error else {
            Issue.record("expected unsupportedConfig, got \(String(describing: error))")
            return
        }
        #expect(file == "llama/config.json" && field == "mlp_bias")
        #expect(try decodeLlama("null", extra: #", "mlp_bias": false"#).mlpBias == false)
    }

    /// Qwen2 keeps refusing every rope_scaling, the kinds Llama now implements included.
    @Test func qwen2StillRefusesRopeScaling() throws {
        let json = #"{"hidden_size": 32, "num_attention_heads": 4, "rope_scaling": {"type": "linear", "factor": 2.0}}"#
        let config = try JSONDecoder().decode(Qwen2Config.self, from: Data(json.utf8))
        let error = #expect(throws: ModelError.self) { try config.validate(file: "qwen2/config.json") }
        guard case let .unsupportedConfig(_, field, _)? = error else {
            Issue.record("expected unsupportedConfig, got \(String(describing: error))")
            return
        }
        #expect(field == "rope_scaling")
    }

    func decodeLlama(_ scaling: String, extra: String = "") throws -> LlamaConfig {
        let json = #"{"model_type": "llama", "hidden_size": 32, "num_attention_heads": 4, "rope_scaling": "# + scaling + extra + "}"
        return try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
    }
}
