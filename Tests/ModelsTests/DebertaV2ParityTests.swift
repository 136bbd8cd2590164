import Foundation
import Testing
@testable import Models
import Torch

/// Loads a DeBERTa fixture folder written by tools/make_model_fixtures.py, strictly.
func loadDeberta(_ name: String) throws -> (DebertaV2Model, SafetensorsFile, WeightLoadReport) {
    let folder = try ModelFolder(path: try fixtureFolder(name))
    #expect(folder.modelType == "deberta-v2")
    let config = try folder.decodeConfig(DebertaV2Config.self)
    let store = try ParameterStore(seed: 1)
    let model = try DebertaV2Model(config: config, store: store, configFile: folder.configFile)
    let weightsFile = try folder.weightsFile()
    let policy = LoadPolicy(allowUnused: DebertaV2Model.ignoredCheckpointTensors)
    let report = try store.load(try Checkpoint.read(path: weightsFile), file: weightsFile, prefix: "deberta", policy: policy)
    let reference = try SafetensorsFile(path: folder.path + "/reference.safetensors")
    return (model, reference, report)
}

@Suite struct DebertaV2ParityTests {
    static let fixtures = ["deberta-v3-tiny", "deberta-v3-unshared", "deberta-v3-c2p", "deberta-v3-p2c", "deberta-v2-absolute"]

    /// Last hidden states of a right-padded batch within 1e-4 of transformers', and the
    /// gradients of (hidden * W * mask).sum() within 1e-3 relative.
    @Test(arguments: fixtures)
    func hiddenStatesAndGradientsMatchTransformers(name: String) throws {
        let (model, reference, report) = try loadDeberta(name)
        #expect(report.missing.isEmpty && report.unused.isEmpty)
        #expect(report.loaded.count == model.store.parameters.count)
        let mask = try reference.tensor("attention_mask")
        let hidden = try model(inputIDs: reference.tensor("input_ids"), attentionMask: mask,
                               tokenTypeIDs: reference.tensor("token_type_ids"))
        let expected = try reference.tensor("last_hidden_state")
        #expect(try hidden.shape == expected.shape)
        let difference = maxAbsDifference(try hidden.floats(), try expected.floats())
        #expect(difference < 1e-4, "\(name): last hidden state differs by \(difference)")

        let loss = try (hidden * reference.tensor("loss_weight") * mask.unsqueeze(-1).to(.float32)).sum()
        try loss.backward()
        let gradients = reference.names.filter { $0.hasPrefix("grad.") }
        #expect(gradients.count >= 5)
        var worst = 0.0
        for gradientName in gradients {
            let parameter = try #require(model.store.tensor(named: String(gradientName.dropFirst(5))), "\(gradientName)")
            let grad = try #require(try parameter.grad, "no gradient for \(gradientName)")
            let relative = relativeDifference(try grad.floats(), try reference.tensor(gradientName).floats())
            worst = max(worst, relative)
            #expect(relative < 1e-3, "\(name): \(gradientName) differs by \(relative) relative")
        }
        print("\(name): hidden states max |diff| \(difference), gradients max relative diff \(worst) over \(gradients.count)")
    }

    /// make_log_bucket_position at every distance of a 1024-token sequence, for DeBERTa-v3's
    /// real settings (256 buckets up to 512) and the fixtures' (8 up to 64 and to 16).
    @Test(arguments: [(256, 512), (8, 64), (8, 16)])
    func logBucketsMatchTransformers(buckets: Int, maximum: Int) throws {
        let url = try #require(Bundle.module.url(forResource: "deberta-log-buckets", withExtension: "safetensors", subdirectory: "Fixtures"))
        let table = try SafetensorsFile(path: url.path).tensor("buckets\(buckets).max\(maximum)").int64s()
        let length = 1024
        #expect(table.count == 2 * length - 1)
        let relative = try RelativePositionIndices.relativePositions(length: length, bucketSize: buckets, maxPosition: maximum)
        #expect(try relative.dtype == .int64)
        #expect(try relative.shape == [length, length])
        let values = try relative.int64s()
        var mismatches = 0
        for i in 0..<length {
            for j in 0..<length where values[i * length + j] != table[i - j + length - 1] { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// XSoftmax semantics: padding keys get probability exactly 0, so extra padding columns
    /// leave the real tokens' hidden states unchanged.
    @Test func extraPaddingDoesNotChangeRealTokens() throws {
        let (model, reference, _) = try loadDeberta("deberta-v3-tiny")
        let ids = try reference.tensor("input_ids"), mask = try reference.tensor("attention_mask")
        let padded = try withNoGrad {
            try model(inputIDs: Tensor.cat([ids, Tensor.full([3, 6], value: 7, dtype: .int64)], dim: 1),
                      attentionMask: Tensor.cat([mask, Tensor.zeros([3, 6], dtype: .int64)], dim: 1))
        }
        let plain = try withNoGrad { try model(inputIDs: ids, attentionMask: mask) }
        let realMask = try mask.unsqueeze(-1).to(.float32)
        let difference = maxAbsDifference(try (padded.narrow(dim: 1, start: 0, length: 20) * realMask).floats(),
                                          try (plain * realMask).floats())
        #expect(difference < 1e-5)
    }

    /// Dropout follows the store's training flag: on in training, off in evaluation.
    @Test func trainingModeAppliesDropout() throws {
        let (model, reference, _) = try loadDeberta("deberta-v3-unshared")
        let ids = try reference.tensor("input_ids"), mask = try reference.tensor("attention_mask")
        let evaluation = try withNoGrad { try model(inputIDs: ids, attentionMask: mask).floats() }
        model.store.training = true
        // Dropout draws from libtorch's global generator: held (see BertParityTests).
        let training = try LibTorch.withGlobalGenerator(seed: 7) { try withNoGrad { try model(inputIDs: ids, attentionMask: mask).floats() } }
        model.store.training = false
        let again = try withNoGrad { try model(inputIDs: ids, attentionMask: mask).floats() }
        #expect(evaluation == again)
        #expect(maxAbsDifference(training, evaluation) > 1e-3)
    }

    /// Parameter names are the checkpoint's, block by block.
    @Test func parameterNamesFollowTheCheckpoint() throws {
        let (model, _, _) = try loadDeberta("deberta-v3-unshared")
        let names = Set(model.store.parameters.map(\.name))
        for name in ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                     "embeddings.token_type_embeddings.weight", "embeddings.embed_proj.weight", "embeddings.LayerNorm.bias",
                     "encoder.layer.0.attention.self.query_proj.weight", "encoder.layer.0.attention.self.pos_key_proj.bias",
                     "encoder.layer.1.attention.self.pos_query_proj.weight", "encoder.layer.1.attention.output.dense.weight",
                     "encoder.layer.1.attention.output.LayerNorm.weight", "encoder.layer.1.intermediate.dense.bias",
                     "encoder.layer.1.output.dense.weight", "encoder.rel_embeddings.weight", "encoder.LayerNorm.weight"] {
            #expect(names.contains(name), "\(name)")
        }
        let (shared, _, _) = try loadDeberta("deberta-v3-tiny")
        let sharedNames = shared.store.parameters.map(\.name)
        #expect(!sharedNames.contains { $0.contains("pos_key_proj") || $0.contains("pos_query_proj") })
        #expect(!sharedNames.contains { $0.contains("position_embeddings") || $0.contains("token_type_embeddings") })
    }

    @Test func rejectsInputsOfTheWrongShape() throws {
        let (model, reference, _) = try loadDeberta("deberta-v3-tiny")
        #expect(throws: ModelError.self) {
            try model(inputIDs: reference.tensor("input_ids"), attentionMask: Tensor.ones([3, 5], dtype: .int64))
        }
    }
}

@Suite struct DebertaV2ConfigTests {
    func decode(_ json: String) throws -> DebertaV2Config {
        try JSONDecoder().decode(DebertaV2Config.self, from: Data(json.utf8))
    }

    @Test func decodesPosAttTypeAsStringOrList() throws {
        #expect(try decode(#"{"pos_att_type": "p2c|c2p"}"#).posAttType == ["p2c", "c2p"])
        #expect(try decode(#"{"pos_att_type": " C2P | p2c "}"#).posAttType == ["c2p", "p2c"])
        #expect(try decode(#"{"pos_att_type": ["c2p", "p2c"]}"#).posAttType == ["c2p", "p2c"])
        #expect(try decode(#"{"pos_att_type": ["c2p"]}"#).posAttType == ["c2p"])
        #expect(try decode(#"{"pos_att_type": null}"#).posAttType == [])
        let only = try decode(#"{"pos_att_type": "c2p"}"#)
        #expect(only.contentToPosition && !only.positionToContent)
        #expect(throws: DecodingError.self) { try decode(#"{"pos_att_type": 3}"#) }
    }

    /// An empty config.json gives transformers' defaults (configuration_deberta_v2.py and the
    /// getattr defaults of modeling_deberta_v2.py).
    @Test func defaultsAreTransformers() throws {
        let config = try decode("{}")
        #expect(config == DebertaV2Config())
        #expect(config.vocabSize == 128100 && config.hiddenSize == 1536 && config.numHiddenLayers == 24)
        #expect(config.numAttentionHeads == 24 && config.intermediateSize == 6144 && config.hiddenAct == .gelu)
        #expect(config.maxPositionEmbeddings == 512 && config.typeVocabSize == 0 && config.layerNormEps == 1e-7)
        #expect(!config.relativeAttention && config.maxRelativePositions == -1 && config.positionBuckets == -1)
        #expect(config.positionBiasedInput && config.posAttType.isEmpty && !config.shareAttKey)
        #expect(config.normRelEbd == "none" && !config.normalizesRelativeEmbeddings && config.convKernelSize == 0)
        #expect(config.tokenEmbeddingSize == 1536 && config.headSize == 64)
        #expect(config.relativePositionLimit == 512 && config.relativeAttentionSpan == 512)
        #expect(config.padTokenId == 0 && config.hiddenDropoutProb == 0.1 && config.attentionProbsDropoutProb == 0.1)
    }

    /// microsoft/deberta-v3-base's config.json.
    @Test func decodesDebertaV3Base() throws {
        let config = try decode("""
        {"model_type": "deberta-v2", "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
         "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 512,
         "relative_attention": true, "position_buckets": 256, "norm_rel_ebd": "layer_norm", "share_att_key": true,
         "pos_att_type": "p2c|c2p", "layer_norm_eps": 1e-7, "max_relative_positions": -1, "position_biased_input": false,
         "num_attention_heads": 12, "num_hidden_layers": 12, "type_vocab_size": 0, "vocab_size": 128100}
        """)
        try config.validate(file: "config.json")
        #expect(config.relativeAttention && config.shareAttKey && !config.positionBiasedInput)
        #expect(config.contentToPosition && config.positionToContent && config.normalizesRelativeEmbeddings)
        #expect(config.relativePositionLimit == 512 && config.relativeAttentionSpan == 256 && config.headSize == 64)
    }

    @Test func validateRejectsWhatIsNotImplemented() throws {
        #expect(throws: ModelError.unsupportedConfig(file: "c.json", field: "conv_kernel_size",
                                                     reason: "3: the ConvLayer of deberta-v2-xlarge is not implemented (only 0)")) {
            try decode(#"{"conv_kernel_size": 3}"#).validate(file: "c.json")
        }
        #expect(throws: ModelError.self) { try decode(#"{"hidden_size": 100, "num_attention_heads": 12}"#).validate(file: "c.json") }
        #expect(throws: ModelError.self) {
            try decode(#"{"hidden_size": 64, "num_attention_heads": 4, "attention_head_size": 8}"#).validate(file: "c.json")
        }
        #expect(throws: ModelError.self) {
            try decode(#"{"relative_attention": true, "position_buckets": 8, "max_relative_positions": 5}"#).validate(file: "c.json")
        }
        let store = try ParameterStore()
        #expect(throws: ModelError.self) { try DebertaV2Model(config: try decode(#"{"conv_kernel_size": 3}"#), store: store) }
    }

    /// A field of the wrong type names the field through ModelFolder.
    @Test func wrongTypeNamesTheField() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("deberta-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"model_type": "deberta-v2", "pos_att_type": {"a": 1}}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let modelFolder = try ModelFolder(path: folder.path)
        do {
            _ = try modelFolder.decodeConfig(DebertaV2Config.self)
            Issue.record("expected an error")
        } catch let ModelError.invalidConfig(_, field, _) {
            #expect(field == "pos_att_type")
        }
    }
}

/// Strict loading: every problem of a checkpoint reported at once, and the allow-lists.
@Suite struct StrictLoadingTests {
    func tinyWeights() throws -> (DebertaV2Model, [String: Tensor], String) {
        let folder = try ModelFolder(path: try fixtureFolder("deberta-v3-tiny"))
        let model = try DebertaV2Model(config: try folder.decodeConfig(DebertaV2Config.self), store: try ParameterStore(seed: 3))
        let file = try folder.weightsFile()
        return (model, try Checkpoint.read(path: file), file)
    }

    @Test func reportsMissingUnusedAndWrongShapesTogether() throws {
        let (model, good, file) = try tinyWeights()
        var weights = good
        weights["encoder.layer.1.attention.self.value_proj.bias"] = nil
        weights["encoder.layer.0.attention.self.pos_key_proj.weight"] = try Tensor.zeros([32, 32])
        weights["encoder.rel_embeddings.weight"] = try Tensor.zeros([15, 32])
        let before = try #require(model.store.tensor(named: "encoder.layer.0.output.dense.weight")).floats()
        #expect(throws: ModelError.weightMismatch(
            file: file, missing: ["encoder.layer.1.attention.self.value_proj.bias"],
            unused: ["encoder.layer.0.attention.self.pos_key_proj.weight"],
            wrongShape: [ShapeMismatch(name: "encoder.rel_embeddings.weight", expected: [16, 32], found: [15, 32])])) {
            try model.store.load(weights, file: file, policy: LoadPolicy(allowUnused: DebertaV2Model.ignoredCheckpointTensors))
        }
        // Nothing is copied when the check fails.
        #expect(try #require(model.store.tensor(named: "encoder.layer.0.output.dense.weight")).floats() == before)
    }

    /// A pretraining checkpoint (`deberta.` prefix, lm_predictions / mask_predictions heads,
    /// the position_ids buffer) loads into the bare encoder with the allow-list, not without.
    @Test func allowListAcceptsPretrainingHeads() throws {
        let (model, good, file) = try tinyWeights()
        var weights: [String: Tensor] = [:]
        for (name, tensor) in good { weights["deberta." + name] = tensor }
        weights["deberta.embeddings.position_ids"] = try Tensor.arange(0, 64).unsqueeze(0)
        weights["lm_predictions.lm_head.bias"] = try Tensor.zeros([128])
        weights["lm_predictions.lm_head.dense.weight"] = try Tensor.zeros([32, 32])
        weights["mask_predictions.classifier.weight"] = try Tensor.zeros([1, 32])
        #expect(throws: ModelError.self) { try model.store.load(weights, file: file, prefix: "deberta") }
        let report = try model.store.load(weights, file: file, prefix: "deberta",
                                          policy: LoadPolicy(allowUnused: DebertaV2Model.ignoredCheckpointTensors))
        #expect(report.unused.sorted() == ["deberta.embeddings.position_ids", "lm_predictions.lm_head.bias",
                                           "lm_predictions.lm_head.dense.weight", "mask_predictions.classifier.weight"])
        #expect(report.missing.isEmpty)
        #expect(report.loaded.count == model.store.parameters.count)
        let word = try #require(model.store.tensor(named: "embeddings.word_embeddings.weight"))
        #expect(try word.floats() == good["embeddings.word_embeddings.weight"]?.floats())
    }

    /// A new classifier head may be missing from a backbone checkpoint when the policy allows it.
    @Test func allowListAcceptsAMissingClassifier() throws {
        let (model, good, file) = try tinyWeights()
        _ = try Linear(model.store.root.child("classifier"), inputSize: 32, outputSize: 3)
        #expect(throws: ModelError.weightMismatch(file: file, missing: ["classifier.weight", "classifier.bias"], unused: [], wrongShape: [])) {
            try model.store.load(good, file: file)
        }
        let report = try model.store.load(good, file: file, policy: LoadPolicy(allowMissing: { $0.hasPrefix("classifier.") }))
        #expect(report.missing == ["classifier.weight", "classifier.bias"])
        #expect(report.unused.isEmpty)
    }
}
