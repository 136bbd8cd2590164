import Foundation
import Testing
@testable import Models
import Torch

/// DecoderModelKind: the family from config.json's model_type, and the classifier it builds.
@Suite struct DecoderFamiliesTests {
    /// Each fixture folder's model_type gives its family; the classifier built from it loads the
    /// checkpoint strictly and gives transformers' logits.
    @Test(arguments: [("llama-tiny-cls", DecoderModelKind.llama), ("qwen2-tiny-cls", .qwen2),
                      ("gemma-tiny-cls", .gemma), ("gemma2-tiny-cls", .gemma2)])
    func kindBuildsTheClassifier(folder: String, kind: DecoderModelKind) throws {
        let fixture = try DecoderFixture(folder)
        #expect(try DecoderModelKind.read(configFile: fixture.configFile) == kind)
        let classifier = try kind.sequenceClassifier(configFile: fixture.configFile, store: try ParameterStore(seed: 1), labelCount: 3)
        #expect(classifier.labelCount == 3)
        try fixture.load(into: classifier)
        let logits = try withNoGrad {
            try classifier(inputIDs: fixture.reference.tensor("input_ids"), attentionMask: fixture.reference.tensor("attention_mask"))
        }
        let difference = maxAbsDifference(try logits.floats(), try fixture.reference.tensor("logits").floats())
        #expect(difference < 1e-5)
        #expect(kind.ignoredCheckpointTensors("lm_head.weight"))
        #expect(kind.ignoredCheckpointTensors("model.layers.0.self_attn.rotary_emb.inv_freq"))
        #expect(!kind.ignoredCheckpointTensors("score.weight"))
    }

    /// Other model types are named with the supported ones; a Mistral config with a sliding window is refused.
    @Test func unknownTypesAndMistralWindows() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("decoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("config.json").path
        try Data(#"{"model_type": "phi3"}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: ModelError.unknownModelType(file: file, modelType: "phi3",
                                                    supported: ["llama", "mistral", "qwen2", "gemma", "gemma2"])) {
            try DecoderModelKind.read(configFile: file)
        }
        try Data(#"{"model_type": "mistral", "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1, "sliding_window": 4096}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let kind = try DecoderModelKind.read(configFile: file)
        #expect(kind == .mistral)
        expectConfigError(field: "sliding_window", file: file) {
            _ = try kind.sequenceClassifier(configFile: file, store: try ParameterStore(), labelCount: 3)
        }
        try Data(#"{"model_type": "mistral", "vocab_size": 10, "hidden_size": 32, "intermediate_size": 8, "num_attention_heads": 4, "num_hidden_layers": 1, "sliding_window": null}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let classifier = try kind.sequenceClassifier(configFile: file, store: try ParameterStore(), labelCount: 2)
        #expect(classifier is LlamaForSequenceClassification && classifier.labelCount == 2)
    }
}

/// `gradientCheckpointing` of Qwen2Model, GemmaModel and Gemma2Model: training with each decoder
/// layer recomputed in the backward pass gives the gradients of training without it (attention
/// dropout on, the same masks drawn in the recomputation), for every parameter of the fixtures.
@Suite(.serialized) struct DecoderCheckpointingTests {
    func gradients<Model: DecoderBackbone>(_ type: Model.Type, config: Model.Config, fixture name: String,
                                           checkpointing: Bool) throws -> [String: [Float]] {
        let fixture = try DecoderFixture(name)
        let store = try ParameterStore(seed: 1)
        let classifier = try DecoderForSequenceClassification<Model>(config: config, store: store, configFile: fixture.configFile)
        try fixture.load(into: classifier)
        classifier.model.gradientCheckpointing = checkpointing
        store.training = true
        let reference = fixture.reference
        try LibTorch.withGlobalGenerator(seed: 9) {
            let hidden = try classifier.model(inputIDs: reference.tensor("input_ids"), attentionMask: reference.tensor("attention_mask"))
            try (hidden * reference.tensor("loss_weight")).sum().backward()
        }
        var result: [String: [Float]] = [:]
        for (name, tensor) in store.parameters where !name.hasPrefix("score.") {
            result[name] = try #require(try tensor.grad, "\(name) has no gradient").floats()
        }
        return result
    }

    func expectSameGradients<Model: DecoderBackbone>(_ type: Model.Type, config: Model.Config, fixture: String) throws {
        let direct = try gradients(type, config: config, fixture: fixture, checkpointing: false)
        let recomputed = try gradients(type, config: config, fixture: fixture, checkpointing: true)
        #expect(direct.keys.sorted() == recomputed.keys.sorted() && !direct.isEmpty)
        for (name, a) in direct {
            let b = try #require(recomputed[name])
            let difference = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-6, "\(fixture) \(name): gradients differ by \(difference)")
        }
    }

    @Test func checkpointedLayersGiveTheSameGradients() throws {
        var qwen2 = try Qwen2Config.read(file: try DecoderFixture("qwen2-tiny-cls").configFile)
        qwen2.attentionDropout = 0.2
        try expectSameGradients(Qwen2Model.self, config: qwen2, fixture: "qwen2-tiny-cls")
        var gemma = try GemmaConfig.read(file: try DecoderFixture("gemma-tiny-cls").configFile)
        gemma.attentionDropout = 0.2
        try expectSameGradients(GemmaModel.self, config: gemma, fixture: "gemma-tiny-cls")
        var gemma2 = try Gemma2Config.read(file: try DecoderFixture("gemma2-tiny-cls").configFile)
        gemma2.attentionDropout = 0.2
        try expectSameGradients(Gemma2Model.self, config: gemma2, fixture: "gemma2-tiny-cls")
    }
}
