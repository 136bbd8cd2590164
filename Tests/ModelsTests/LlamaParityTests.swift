import Foundation
import Testing
@testable import Models
import Torch

/// Loads Fixtures/llama-tiny (tools/make_llama_fixtures.py: a LlamaForCausalLM state dict) into a
/// bare LlamaModel, strictly, stripping the `model.` prefix as BERT's `bert.` is stripped. Not
/// through `ModelFolder`, which needs a registered family (Llama is not one yet).
func loadLlama(path: ((ParameterStore) -> ParameterPath)? = nil, prefix: String? = "model")
    throws -> (LlamaModel, SafetensorsFile, WeightLoadReport)
{
    let folder = try fixtureFolder("llama-tiny")
    let configFile = folder + "/config.json"
    let config = try LlamaConfig.read(file: configFile)
    let store = try ParameterStore(seed: 1)
    let model = try LlamaModel(config: config, store: store, path: path?(store), configFile: configFile)
    let weightsFile = folder + "/model.safetensors"
    let policy = LoadPolicy(allowUnused: LlamaModel.ignoredCheckpointTensors)
    let report = try store.load(try Checkpoint.read(path: weightsFile), file: weightsFile, prefix: prefix, policy: policy)
    let reference = try SafetensorsFile(path: folder + "/reference.safetensors")
    return (model, reference, report)
}

/// Largest |a - b| over the positions where `mask` is 1 ([batch, length] of [batch, length, width]).
func maskedMaxAbsDifference(_ a: [Float], _ b: [Float], mask: [Int64], width: Int) -> Double {
    var worst = 0.0
    for (position, keep) in mask.enumerated() where keep != 0 {
        for i in position * width..<(position + 1) * width { worst = max(worst, Double(Swift.abs(a[i] - b[i]))) }
    }
    return worst
}

@Suite struct LlamaParityTests {
    /// Right padding: every token's last hidden state within 1e-5 of transformers' LlamaModel
    /// (float32, eval), and the gradients of a scalar loss within 1e-4 relative.
    @Test func rightPaddedHiddenStatesAndGradientsMatchTransformers() throws {
        let (model, reference, report) = try loadLlama()
        #expect(report.unused == ["lm_head.weight"])
        #expect(report.missing.isEmpty)
        let ids = try reference.tensor("input_ids"), mask = try reference.tensor("attention_mask")
        let hidden = try model(inputIDs: ids, attentionMask: mask)
        let expected = try reference.tensor("last_hidden_state")
        #expect(try hidden.shape == expected.shape)
        let difference = maskedMaxAbsDifference(try hidden.floats(), try expected.floats(), mask: try mask.int64s(),
                                                width: model.config.hiddenSize)
        #expect(difference < 1e-5, "last hidden state differs by \(difference)")
        let finite = try hidden.floats().allSatisfy { $0.isFinite }
        #expect(finite)

        let loss = try (hidden * reference.tensor("loss_weight") * mask.unsqueeze(-1).to(.float32)).sum()
        try loss.backward()
        let gradients = reference.names.filter { $0.hasPrefix("grad.") }
        #expect(gradients.count == 6)
        for name in gradients {
            let parameterName = String(name.dropFirst("grad.model.".count))
            let parameter = try #require(model.store.tensor(named: parameterName), "\(name)")
            let grad = try #require(try parameter.grad, "no gradient for \(name)")
            let relative = relativeDifference(try grad.floats(), try reference.tensor(name).floats())
            #expect(relative < 1e-4, "\(name) differs by \(relative) relative")
        }
    }

    /// Left padding (positions still 0..<length, as LlamaModel numbers them without
    /// position_ids): the tokens' hidden states within 1e-5, nothing non-finite in the padding.
    @Test func leftPaddedHiddenStatesMatchTransformers() throws {
        let (model, reference, _) = try loadLlama()
        let mask = try reference.tensor("left_attention_mask")
        let hidden = try withNoGrad { try model(inputIDs: reference.tensor("left_input_ids"), attentionMask: mask).floats() }
        let difference = maskedMaxAbsDifference(hidden, try reference.tensor("left_last_hidden_state").floats(),
                                                mask: try mask.int64s(), width: model.config.hiddenSize)
        #expect(difference < 1e-5, "last hidden state differs by \(difference)")
        let finite = hidden.allSatisfy { $0.isFinite }
        #expect(finite)
    }

    /// Built under `model`, the parameters carry the checkpoint's own names and load with no prefix.
    @Test func parameterNamesEqualTheCheckpoints() throws {
        let (model, reference, report) = try loadLlama(path: { $0.root.child("model") }, prefix: nil)
        #expect(report.unused == ["lm_head.weight"])
        let names = model.store.parameters.map(\.name)
        #expect(names.first == "model.embed_tokens.weight")
        #expect(names.last == "model.norm.weight")
        #expect(names.contains("model.layers.1.self_attn.k_proj.bias"))
        #expect(names.contains("model.layers.0.post_attention_layernorm.weight"))
        #expect(try model.store.tensor(named: "model.layers.0.self_attn.k_proj.weight")?.shape == [16, 32])
        let mask = try reference.tensor("attention_mask")
        let hidden = try withNoGrad { try model(inputIDs: reference.tensor("input_ids"), attentionMask: mask).floats() }
        let difference = maskedMaxAbsDifference(hidden, try reference.tensor("last_hidden_state").floats(),
                                                mask: try mask.int64s(), width: model.config.hiddenSize)
        #expect(difference < 1e-5)
    }

    /// rotate_half and the rotary tables: position 0 is the identity, cos/sin follow θ^(-2i/d).
    @Test func rotaryEmbeddingFollowsTheFormula() throws {
        let rotary = LlamaRotaryEmbedding(headSize: 4, base: 100)
        let (cos, sin) = try rotary(length: 3, dtype: .float32, device: .cpu)
        #expect(try cos.shape == [3, 4])
        let c = try cos.floats(), s = try sin.floats()
        #expect(Array(c[0..<4]) == [1, 1, 1, 1] && Array(s[0..<4]) == [0, 0, 0, 0])
        // position 2, frequencies 1 and 1/10
        let angles: [Float] = [2, 0.2, 2, 0.2]
        for i in 0..<4 {
            #expect(Swift.abs(c[8 + i] - Foundation.cos(angles[i])) < 1e-6)
            #expect(Swift.abs(s[8 + i] - Foundation.sin(angles[i])) < 1e-6)
        }
        let rotated = try rotateHalf(Tensor([1, 2, 3, 4] as [Float], shape: [1, 4])).floats()
        #expect(rotated == [-3, -4, 1, 2])
    }

    // rope_scaling: LlamaRopeScalingTests.swift.

    /// Hugging Face's defaults: no num_key_value_heads means one per attention head; other
    /// activations and uneven grouping are refused; a bad field is named.
    @Test func configDefaultsAndValidation() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("llama-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(#"{"hidden_size": "wide"}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: ModelError.invalidConfig(file: file, field: "hidden_size",
                                                 reason: "expected Int: Expected to decode Int but found a string instead.")) {
            try LlamaConfig.read(file: file)
        }
        let decode = { (json: String) in try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8)) }
        let plain = try decode(#"{"hidden_size": 64, "num_attention_heads": 8, "rope_scaling": null}"#)
        #expect(plain.numKeyValueHeads == 8 && plain.ropeScaling == nil && plain.ropeTheta == 10000)
        #expect(plain.headSize == 8)
        try plain.validate(file: "c")
        #expect(throws: ModelError.self) { try decode(#"{"hidden_act": "gelu"}"#).validate(file: "c") }
        #expect(throws: ModelError.self) {
            try decode(#"{"hidden_size": 64, "num_attention_heads": 8, "num_key_value_heads": 3}"#).validate(file: "c")
        }
    }

    /// The mask of `_update_causal_mask`: the future and padding keys at finfo.min.
    @Test func causalMaskCombinesPadding() throws {
        let mask = try LlamaModel.causalMask(Tensor([1, 1, 0] as [Int64], shape: [1, 3]), dtype: .float32)
        #expect(try mask.shape == [1, 1, 3, 3])
        let low = -Float.greatestFiniteMagnitude
        #expect(try mask.floats() == [0, low, low, 0, 0, low, 0, 0, low])
    }
}
