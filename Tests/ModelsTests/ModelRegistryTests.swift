import Foundation
import Testing
@testable import Models
import Torch

/// The model registry: which `model_type` values it knows, the one error for the others, and
/// that a family builds through it exactly the encoder its constructor builds.
@Suite struct ModelRegistryTests {
    @Test func listsExactlyTheImplementedFamilies() throws {
        #expect(ModelRegistry.supportedModelTypes == ["bert", "deberta-v2", "llama", "mistral", "qwen2", "gemma", "gemma2"])
        #expect(ModelFolder.supportedModelTypes == ModelRegistry.supportedModelTypes)
        #expect(ModelRegistry.families.map(\.stateDictPrefix) == ["bert", "deberta"] + Array(repeating: "model", count: 5))
        #expect(ModelRegistry.families.map(\.poolerPrefix) == ["bert.pooler", "pooler"] + Array(repeating: "score", count: 5))
        #expect(ModelRegistry.families.map(\.isDecoder) == [false, false] + Array(repeating: true, count: 5))
        #expect(ModelRegistry.families.map(\.wordEmbeddingsName)
                == Array(repeating: "embeddings.word_embeddings.weight", count: 2) + Array(repeating: "embed_tokens.weight", count: 5))
        #expect(ModelRegistry.family(for: "qwen2") is DecoderFamily<Qwen2Config>)
        #expect(ModelRegistry.family(for: "gemma") is DecoderFamily<GemmaConfig>)
        #expect(ModelRegistry.family(for: "gemma2") is DecoderFamily<Gemma2Config>)
        #expect(ModelRegistry.family(for: "bert") is BertFamily)
        #expect(ModelRegistry.family(for: "deberta-v2") is DebertaV2Family)
        #expect(ModelRegistry.family(for: "llama") is LlamaFamily)
        #expect(ModelRegistry.family(for: "roberta") == nil)
    }

    /// An unknown `model_type` is named once, by the registry, with the file and the supported list.
    @Test func unknownModelTypeNamesFileTypeAndSupportedList() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configFile = folder.appendingPathComponent("config.json").path
        try Data(#"{"model_type": "roberta", "hidden_size": 32}"#.utf8).write(to: URL(fileURLWithPath: configFile))
        let expected = ModelError.unknownModelType(file: configFile, modelType: "roberta", supported: ["bert", "deberta-v2", "llama", "mistral", "qwen2", "gemma", "gemma2"])
        #expect(throws: expected) { try ModelFolder(path: folder.path) }
        #expect(throws: expected) { try ModelRegistry.family(for: "roberta", configFile: configFile) }
        #expect(expected.description == "\(configFile): model_type \"roberta\" is not supported (supported: bert, deberta-v2, llama, mistral, qwen2, gemma, gemma2)")
    }

    /// Fresh weights through the registry equal the constructor's with the same seed (same names,
    /// same order, same values), and the folder's weights loaded through ``EncoderLoader`` give
    /// the constructor's hidden states (and transformers', within the parity tests' 1e-4).
    @Test(arguments: ["bert-tiny", "deberta-v3-tiny"])
    func buildsTheConstructorsEncoder(name: String) throws {
        let folder = try ModelFolder(path: try fixtureFolder(name))
        let family = try #require(ModelRegistry.family(for: folder.modelType))
        #expect(family.modelType == folder.family.modelType)

        let registryStore = try ParameterStore(seed: 5)
        let built = try family.makeEncoder(folder: folder, path: registryStore.root)
        let directStore = try ParameterStore(seed: 5)
        let direct: any TextEncoderModel
        let (loaded, _) = try EncoderLoader.load(folder)
        let reference: SafetensorsFile
        let constructed: any TextEncoderModel
        switch name {
        case "bert-tiny":
            #expect(family is BertFamily && built is BertModel && loaded is BertModel)
            direct = try BertModel(config: try folder.decodeConfig(BertConfig.self), store: directStore)
            let (model, file, _) = try loadBert(name)
            (constructed, reference) = (model, file)
        default:
            #expect(family is DebertaV2Family && built is DebertaV2Model && loaded is DebertaV2Model)
            direct = try DebertaV2Model(config: try folder.decodeConfig(DebertaV2Config.self), store: directStore)
            let (model, file, _) = try loadDeberta(name)
            (constructed, reference) = (model, file)
        }
        #expect(built.hiddenSize == direct.hiddenSize && built.vocabularySize == direct.vocabularySize)
        #expect(registryStore.parameters.map(\.name) == directStore.parameters.map(\.name))
        for ((name, a), (_, b)) in zip(registryStore.parameters, directStore.parameters) {
            #expect(try a.floats() == b.floats(), "\(name) differs between the registry and the constructor")
        }

        let ids = try reference.tensor("input_ids")
        let mask = try reference.tensor("attention_mask")
        let types = try reference.tensor("token_type_ids")
        let (viaRegistry, viaConstructor) = try withNoGrad {
            (try loaded.hiddenStates(inputIDs: ids, attentionMask: mask, tokenTypeIDs: types),
             try constructed.hiddenStates(inputIDs: ids, attentionMask: mask, tokenTypeIDs: types))
        }
        #expect(try viaRegistry.shape == viaConstructor.shape)
        let difference = maxAbsDifference(try viaRegistry.floats(), try viaConstructor.floats())
        #expect(difference == 0, "\(name): hidden states through the registry differ by \(difference)")
        let expected = try reference.tensor("last_hidden_state")
        #expect(maxAbsDifference(try viaRegistry.floats(), try expected.floats()) < 1e-4)
    }

    /// The cross head's pooler sits where the family's `*ForSequenceClassification` has it, and
    /// counts as a head parameter.
    @Test(arguments: [("heads/bert-cross", "bert.pooler.dense.weight"), ("heads/deberta-cross", "pooler.dense.weight")])
    func crossHeadPoolerFollowsTheFamily(name: String, pooler: String) throws {
        let classifier = try PreferenceClassifier(folder: try ModelFolder(path: try fixtureFolder(name)), architecture: .cross)
        #expect(classifier.store.tensor(named: pooler) != nil)
        #expect(classifier.isHeadParameter(pooler) && classifier.isHeadParameter("classifier.weight"))
        #expect(!classifier.isHeadParameter(classifier.encoderPrefix + ".embeddings.word_embeddings.weight"))
        let pair = try PreferenceClassifier(folder: try ModelFolder(path: try fixtureFolder(name)), architecture: .pair)
        #expect(pair.store.tensor(named: pooler) == nil && pair.numericFeatureCount == 0)
    }

    /// The decoders through the registry: the cross head is their *ForSequenceClassification
    /// itself (`model.*` and a bias-free `score`, no pooler), so each fixture's transformers state
    /// dict loads strictly into a ``PreferenceClassifier`` and gives transformers' logits for
    /// right and left padding.
    @Test(arguments: ["llama-tiny-cls", "qwen2-tiny-cls", "gemma-tiny-cls", "gemma2-tiny-cls"])
    func decoderCrossHeadIsItsForSequenceClassification(name: String) throws {
        let folder = try ModelFolder(path: try fixtureFolder(name))
        #expect(folder.family.isDecoder)
        #expect(try folder.family.sequenceClassificationHead(of: folder) == .lastToken(padTokenId: try folder.decodeConfig(PadID.self).padTokenId))
        let classifier = try PreferenceClassifier(folder: folder, architecture: .cross)
        #expect(classifier.encoder is any DecoderBackbone && classifier.architecture == .cross && classifier.classifierName == "score")
        let names = classifier.store.parameters.map(\.name)
        #expect(names.first == "model.embed_tokens.weight" && names.last == "score.weight")
        #expect(classifier.store.tensor(named: "score.bias") == nil)
        #expect(classifier.isHeadParameter("score.weight") && !classifier.isHeadParameter("model.norm.weight"))
        let weightsFile = try folder.weightsFile()
        let report = try classifier.loadWeights(file: weightsFile)
        #expect(report.missing.isEmpty && report.unused.isEmpty)
        let reference = try SafetensorsFile(path: try fixtureFolder(name) + "/reference.safetensors")
        for side in ["", "left_"] {
            let logits = try withNoGrad {
                try classifier.logits(.cross(ids: reference.tensor(side + "input_ids"), mask: reference.tensor(side + "attention_mask")))
            }
            let difference = maxAbsDifference(try logits.floats(), try reference.tensor(side + "logits").floats())
            #expect(difference < 1e-5, "\(name): \(side)logits differ from transformers by \(difference)")
        }
    }

    struct PadID: Decodable {
        var padTokenId: Int?
        enum CodingKeys: String, CodingKey { case padTokenId = "pad_token_id" }
    }

    /// A Llama causal-LM checkpoint as the pretrained decoder of a fresh classifier.
    /// A causal-LM checkpoint (llama-tiny: `model.*` and `lm_head.weight`) as the pretrained
    /// decoder: every decoder tensor loaded, lm_head unused, the head left fresh.
    @Test func llamaCausalLMLoadsAsThePretrainedDecoder() throws {
        let pretrained = try ModelFolder(path: try fixtureFolder("llama-tiny"))
        let fresh = try PreferenceClassifier(folder: pretrained, architecture: .cross, seed: 3)
        let loaded = try fresh.loadPretrainedEncoder(from: pretrained)
        #expect(loaded.missing == ["score.weight"] && loaded.unused == ["lm_head.weight"])
        let file = try SafetensorsFile(path: try pretrained.weightsFile())
        #expect(try fresh.store.tensor(named: "model.layers.1.mlp.down_proj.weight")?.floats()
                == file.tensor("model.layers.1.mlp.down_proj.weight").floats())
    }
}
