import Foundation
import Testing
@testable import Models
import Torch

/// Fixtures/qwen2-tiny-cls (tools/make_decoder_fixtures.py, transformers v4.40.2): a
/// Qwen2ForSequenceClassification with q/k/v biases and sliding_window 6 < length 12.
@Suite struct Qwen2ParityTests {
    func build(dtype: DType = .float32) throws -> (Qwen2ForSequenceClassification, DecoderFixture) {
        let fixture = try DecoderFixture("qwen2-tiny-cls")
        let config = try Qwen2Config.read(file: fixture.configFile)
        #expect(config.padTokenId == 0 && config.slidingWindow == 6 && !config.useSlidingWindow)
        let classifier = try Qwen2ForSequenceClassification(config: config, store: try ParameterStore(dtype: dtype, seed: 1),
                                                            labelCount: 3, configFile: fixture.configFile)
        try fixture.load(into: classifier)
        return (classifier, fixture)
    }

    /// Hidden states and logits within 1e-5 of transformers' (right and left padding), gradients
    /// within 1e-3 relative; checkpoint names as Hugging Face's.
    @Test func hiddenStatesLogitsAndGradientsMatchTransformers() throws {
        let (classifier, fixture) = try build()
        let names = classifier.store.parameters.map(\.name)
        #expect(names.first == "model.embed_tokens.weight" && names.last == "score.weight")
        #expect(names.contains("model.layers.1.self_attn.v_proj.bias"))
        #expect(!names.contains("model.layers.0.self_attn.o_proj.bias"))
        let parity = try DecoderParity.measure(classifier, fixture: fixture, hiddenSize: 32) {
            try classifier.model(inputIDs: $0, attentionMask: $1)
        }
        print("qwen2-tiny-cls float32: \(parity)")
        parity.expectFloat32(gradients: 6)
    }

    /// v4.40.2 windows the eager mask with `sliding_window` even with use_sliding_window false:
    /// without the window the hidden states of the long row differ from transformers'.
    @Test func slidingWindowOfTheMaskShows() throws {
        let (classifier, fixture) = try build()
        var wide = classifier.config
        wide.slidingWindow = nil
        let mask = try fixture.reference.tensor("attention_mask")
        let ids = try fixture.reference.tensor("input_ids")
        let windowed = try withNoGrad { try classifier.model(inputIDs: ids, attentionMask: mask).floats() }
        let expected = try fixture.reference.tensor("last_hidden_state").floats()
        let store = try ParameterStore(seed: 1)
        let plain = try Qwen2Model(config: wide, store: store, path: store.root.child("model"))
        _ = try store.load(try Checkpoint.read(path: fixture.weightsFile), file: fixture.weightsFile,
                           policy: LoadPolicy(allowUnused: { $0 == "score.weight" }))
        let full = try withNoGrad { try plain(inputIDs: ids, attentionMask: mask).floats() }
        let maskValues = try mask.int64s()
        #expect(maskedMaxAbsDifference(windowed, expected, mask: maskValues, width: 32) < 1e-5)
        #expect(maskedMaxAbsDifference(full, expected, mask: maskValues, width: 32) > 1e-3)
    }

    /// The mask: key j blocked for query i when j > i, i - j > sliding_window, or j is padding.
    @Test func slidingWindowMaskFollowsTransformers() throws {
        let mask = try decoderCausalMask(Tensor([0, 1, 1, 1] as [Int64], shape: [1, 4]), dtype: .float32, window: 1)
        let low = -Float.greatestFiniteMagnitude
        #expect(try mask.floats() == [low, low, low, low,
                                      low, 0, low, low,
                                      low, 0, 0, low,
                                      low, low, 0, 0])
    }

    /// A bfloat16 store runs the same model close to the float32 reference.
    @Test func bfloat16ForwardIsClose() throws {
        let (classifier, fixture) = try build(dtype: .bfloat16)
        #expect(try classifier.store.tensor(named: "model.norm.weight")?.dtype == .bfloat16)
        let parity = try DecoderParity.measure(classifier, fixture: fixture, hiddenSize: 32) {
            try classifier.model(inputIDs: $0, attentionMask: $1)
        }
        print("qwen2-tiny-cls bfloat16: \(parity)")
        #expect(parity.hidden < 0.1 && parity.leftHidden < 0.1, "\(parity)")
        #expect(parity.logits < 0.05 && parity.leftLogits < 0.05, "\(parity)")
    }

    /// Defaults, and what is refused by name.
    @Test func configDefaultsAndValidation() throws {
        let plain = try decodeConfig(Qwen2Config.self, #"{"hidden_size": 64, "num_attention_heads": 8}"#)
        #expect(plain.numKeyValueHeads == 8 && plain.slidingWindow == 4096 && !plain.useSlidingWindow && plain.headSize == 8)
        try plain.validate(file: "c")
        #expect(try decodeConfig(Qwen2Config.self, #"{"sliding_window": null}"#).slidingWindow == nil)
        let file = "decoder/config.json"
        for (json, field) in [(#"{"use_sliding_window": true}"#, "use_sliding_window"),
                              (#"{"rope_scaling": {"type": "yarn", "factor": 4.0}}"#, "rope_scaling"),
                              (#"{"hidden_act": "gelu"}"#, "hidden_act"),
                              (#"{"num_key_value_heads": 5}"#, "num_key_value_heads"),
                              (#"{"sliding_window": 0}"#, "sliding_window")] {
            let config = try decodeConfig(Qwen2Config.self, json)
            expectConfigError(field: field) {
                _ = try Qwen2ForSequenceClassification(config: config, store: try ParameterStore(), configFile: file)
            }
        }
    }
}
