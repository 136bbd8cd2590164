import Foundation
import Testing
@testable import Models
import Torch

/// Fixtures/gemma2-tiny-cls (tools/make_gemma2_fixtures.py, transformers v4.42.4): a
/// Gemma2ForSequenceClassification with a sliding layer (0) and a global one (1), sliding_window 4
/// < length 12, attn_logit_softcapping 2, query_pre_attn_scalar 24, head_dim 12, and
/// final_logit_softcapping 3 with logits beyond it (not capped by the classifier in v4.42.4).
@Suite struct Gemma2ParityTests {
    func build(dtype: DType = .float32, edit: (inout Gemma2Config) -> Void = { _ in }) throws
        -> (Gemma2ForSequenceClassification, DecoderFixture)
    {
        let fixture = try DecoderFixture("gemma2-tiny-cls")
        var config = try Gemma2Config.read(file: fixture.configFile)
        edit(&config)
        let classifier = try Gemma2ForSequenceClassification(config: config, store: try ParameterStore(dtype: dtype, seed: 1),
                                                             labelCount: 3, configFile: fixture.configFile)
        try fixture.load(into: classifier)
        return (classifier, fixture)
    }

    /// Hidden states and logits within 1e-5 of transformers' (right and left padding), gradients
    /// within 1e-3 relative, the four norms per layer named as Hugging Face's.
    @Test func hiddenStatesLogitsAndGradientsMatchTransformers() throws {
        let (classifier, fixture) = try build()
        let config = classifier.config
        #expect(config.slidingWindow == 4 && config.attnLogitSoftcapping == 2 && config.finalLogitSoftcapping == 3)
        #expect(config.queryPreAttnScalar == 24 && config.headDim == 12)
        let names = classifier.store.parameters.map(\.name)
        #expect(names.first == "model.embed_tokens.weight" && names.last == "score.weight")
        for norm in ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"] {
            #expect(names.contains("model.layers.1.\(norm).weight"))
        }
        #expect(classifier.model.layers.map(\.isSliding) == [true, false])
        let parity = try DecoderParity.measure(classifier, fixture: fixture, hiddenSize: 32) {
            try classifier.model(inputIDs: $0, attentionMask: $1)
        }
        print("gemma2-tiny-cls float32: \(parity)")
        parity.expectFloat32(gradients: 7)
        // The reference logits go beyond final_logit_softcapping: the classifier does not cap them.
        let largest = try fixture.reference.tensor("logits").floats().map { Swift.abs($0) }.max() ?? 0
        #expect(Double(largest) > 3)
    }

    /// Each Gemma-2 part shows in the output: without the soft-cap, the window, or the
    /// query_pre_attn_scalar scaling, the hidden states move away from transformers'.
    @Test func softCapWindowAndScalingEachShow() throws {
        let edits: [(String, (inout Gemma2Config) -> Void)] = [
            ("attn_logit_softcapping", { $0.attnLogitSoftcapping = nil }),
            ("sliding_window", { $0.slidingWindow = 64 }),
            ("query_pre_attn_scalar", { $0.queryPreAttnScalar = 16 }),
        ]
        for (name, edit) in edits {
            let (classifier, fixture) = try build(edit: edit)
            let mask = try fixture.reference.tensor("attention_mask")
            let hidden = try withNoGrad {
                try classifier.model(inputIDs: fixture.reference.tensor("input_ids"), attentionMask: mask).floats()
            }
            let difference = maskedMaxAbsDifference(hidden, try fixture.reference.tensor("last_hidden_state").floats(),
                                                    mask: try mask.int64s(), width: 32)
            #expect(difference > 1e-3, "without \(name) the hidden states differ by only \(difference)")
        }
    }

    /// The sliding mask of Gemma2DecoderLayer: `tril(ones, diagonal=-sliding_window)` blocks
    /// i - j >= sliding_window (window 2: each query sees itself and one key back).
    @Test func slidingMaskFollowsTransformers() throws {
        let mask = try decoderCausalMask(Tensor([1, 1, 1] as [Int64], shape: [1, 3]), dtype: .float32, window: 2 - 1)
        let low = -Float.greatestFiniteMagnitude
        #expect(try mask.floats() == [0, low, low, 0, 0, low, low, 0, 0])
        #expect(Gemma2Config.isSliding(layer: 0) && !Gemma2Config.isSliding(layer: 1) && Gemma2Config.isSliding(layer: 2))
    }

    /// A bfloat16 store runs the same model close to the float32 reference.
    @Test func bfloat16ForwardIsClose() throws {
        let (classifier, fixture) = try build(dtype: .bfloat16)
        let parity = try DecoderParity.measure(classifier, fixture: fixture, hiddenSize: 32) {
            try classifier.model(inputIDs: $0, attentionMask: $1)
        }
        print("gemma2-tiny-cls bfloat16: \(parity)")
        #expect(parity.hidden < 0.1 && parity.leftHidden < 0.1, "\(parity)")
        // The logits reach 21.7 (beyond the final cap on purpose), where a bfloat16 step is 0.125.
        #expect(parity.logits < 0.5 && parity.leftLogits < 0.5, "\(parity)")
    }

    /// Defaults (v4.42.4's), null soft-caps, and what is refused by name.
    @Test func configDefaultsAndValidation() throws {
        let plain = try decodeConfig(Gemma2Config.self, "{}")
        #expect(plain.attnLogitSoftcapping == 50 && plain.finalLogitSoftcapping == 30)
        #expect(plain.queryPreAttnScalar == 224 && plain.slidingWindow == 4096 && plain.hiddenActivation == "gelu_pytorch_tanh")
        try plain.validate(file: "c")
        let uncapped = try decodeConfig(Gemma2Config.self, #"{"attn_logit_softcapping": null, "final_logit_softcapping": null}"#)
        #expect(uncapped.attnLogitSoftcapping == nil && uncapped.finalLogitSoftcapping == nil)
        for (json, field) in [(#"{"hidden_activation": "swish"}"#, "hidden_activation"),
                              (#"{"sliding_window": 0}"#, "sliding_window"),
                              (#"{"query_pre_attn_scalar": 0}"#, "query_pre_attn_scalar"),
                              (#"{"attn_logit_softcapping": -1.0}"#, "attn_logit_softcapping"),
                              (#"{"num_key_value_heads": 5}"#, "num_key_value_heads"),
                              (#"{"head_dim": 15}"#, "head_dim")] {
            let config = try decodeConfig(Gemma2Config.self, json)
            expectConfigError(field: field) {
                _ = try Gemma2ForSequenceClassification(config: config, store: try ParameterStore(), configFile: "decoder/config.json")
            }
        }
    }
}
