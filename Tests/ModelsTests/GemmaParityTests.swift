import Foundation
import Testing
@testable import Models
import Torch

/// Fixtures/gemma-tiny-cls (tools/make_decoder_fixtures.py, transformers v4.40.2): a
/// GemmaForSequenceClassification with head_dim 12 (not 32 / 4 heads), hidden_act "gelu" and no
/// hidden_activation (so gelu_pytorch_tanh), RMSNorm weights away from 0.
@Suite struct GemmaParityTests {
    func build(dtype: DType = .float32) throws -> (GemmaForSequenceClassification, DecoderFixture) {
        let fixture = try DecoderFixture("gemma-tiny-cls")
        let config = try GemmaConfig.read(file: fixture.configFile)
        #expect(config.headDim == 12 && config.hiddenAct == "gelu" && config.hiddenActivation == nil)
        let classifier = try GemmaForSequenceClassification(config: config, store: try ParameterStore(dtype: dtype, seed: 1),
                                                            labelCount: 3, configFile: fixture.configFile)
        try fixture.load(into: classifier)
        return (classifier, fixture)
    }

    /// Hidden states and logits within 1e-5 of transformers' (right and left padding), gradients
    /// within 1e-3 relative; checkpoint names and head_dim shapes as Hugging Face's.
    @Test func hiddenStatesLogitsAndGradientsMatchTransformers() throws {
        let (classifier, fixture) = try build()
        let names = classifier.store.parameters.map(\.name)
        #expect(names.first == "model.embed_tokens.weight" && names.last == "score.weight")
        #expect(!names.contains { $0.hasSuffix(".bias") })
        #expect(try classifier.store.tensor(named: "model.layers.0.self_attn.q_proj.weight")?.shape == [48, 32])
        #expect(try classifier.store.tensor(named: "model.layers.0.self_attn.o_proj.weight")?.shape == [32, 48])
        let parity = try DecoderParity.measure(classifier, fixture: fixture, hiddenSize: 32) {
            try classifier.model(inputIDs: $0, attentionMask: $1)
        }
        print("gemma-tiny-cls float32: \(parity)")
        parity.expectFloat32(gradients: 6)
    }

    /// A bfloat16 store runs the same model close to the float32 reference.
    @Test func bfloat16ForwardIsClose() throws {
        let (classifier, fixture) = try build(dtype: .bfloat16)
        let parity = try DecoderParity.measure(classifier, fixture: fixture, hiddenSize: 32) {
            try classifier.model(inputIDs: $0, attentionMask: $1)
        }
        print("gemma-tiny-cls bfloat16: \(parity)")
        #expect(parity.hidden < 0.1 && parity.leftHidden < 0.1, "\(parity)")
        #expect(parity.logits < 0.05 && parity.leftLogits < 0.05, "\(parity)")
    }

    /// GemmaRMSNorm scales by (1 + weight) in float32; the embedding normalizer is √hidden_size
    /// rounded to the hidden dtype first (bfloat16: √3072 = 55.43 becomes 55.5).
    @Test func normAndEmbeddingScale() throws {
        let store = try ParameterStore()
        let norm = try GemmaRMSNorm(store.root.child("n"), size: 2, eps: 0)
        try withNoGrad { try norm.weight.copy(from: Tensor([1, -0.5] as [Float], shape: [2])) }
        let normalized = try norm(Tensor([3, 4] as [Float], shape: [1, 2])).floats()
        let rms = Float((12.5 as Double).squareRoot())
        #expect(Swift.abs(normalized[0] - 3 / rms * 2) < 1e-6 && Swift.abs(normalized[1] - 4 / rms * 0.5) < 1e-6)
        // 1.0078125 · 55.5 = 55.93 rounds to 56 in bfloat16; times the unrounded 55.43 it would be 55.75.
        let embedding = try Tensor.full([1], value: 1.0078125, dtype: .bfloat16)
        #expect(try scaleEmbeddings(embedding, hiddenSize: 3072).to(.float32).floats() == [56])
        let wide = try scaleEmbeddings(Tensor.ones([1]), hiddenSize: 3072).floats()
        #expect(wide == [Float((3072 as Double).squareRoot())])
    }

    /// Defaults (hidden_activation null: gelu_pytorch_tanh whatever hidden_act says), and what is
    /// refused by name.
    @Test func configDefaultsAndValidation() throws {
        let plain = try decodeConfig(GemmaConfig.self, #"{"hidden_act": "gelu"}"#)
        #expect(plain.activationName == "gelu_pytorch_tanh" && plain.headDim == 256 && plain.padTokenId == 0)
        #expect(try plain.activation(file: "c") == .geluPytorchTanh)
        #expect(try decodeConfig(GemmaConfig.self, #"{"hidden_activation": "gelu"}"#).activation(file: "c") == .gelu)
        #expect(try decodeConfig(GemmaConfig.self, #"{"pad_token_id": null}"#).padTokenId == nil)
        try plain.validate(file: "c")
        for (json, field) in [(#"{"hidden_activation": "swish"}"#, "hidden_activation"),
                              (#"{"num_key_value_heads": 5}"#, "num_key_value_heads"),
                              (#"{"head_dim": 15}"#, "head_dim"),
                              (#"{"num_attention_heads": 5}"#, "num_attention_heads")] {
            let config = try decodeConfig(GemmaConfig.self, json)
            expectConfigError(field: field) {
                _ = try GemmaForSequenceClassification(config: config, store: try ParameterStore(), configFile: "decoder/config.json")
            }
        }
    }
}
