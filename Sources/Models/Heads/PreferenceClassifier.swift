// The two ways the reference notebooks put a 3-way head (A wins, B wins, tie) on an encoder.
//
// cross: Hugging Face's sequence classification, block for block:
//   BertForSequenceClassification
//   https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/bert/modeling_bert.py#L1575
//   (BertPooler: dense + tanh on the first token; dropout classifier_dropout ?? hidden_dropout_prob; classifier)
//   DebertaV2ForSequenceClassification
//   https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/deberta_v2/modeling_deberta_v2.py#L1307
//   (ContextPooler: dropout pooler_dropout on the first token, dense, pooler_hidden_act;
//   dropout cls_dropout ?? hidden_dropout_prob; classifier)
//   Parameter names are the checkpoint's (`bert.pooler.dense.weight`, `pooler.dense.weight`,
//   `classifier.weight`), so a saved cross-encoder is a Hugging Face state dict.
// pair: the shared-weight classifier of the KerasNLP starter (S1): one encoder reads
//   "prompt + response A" and "prompt + response B"; each side is mean-pooled over its real
//   tokens, the two vectors are concatenated [A, B], dropout, then `classifier` Linear(2H, 3).
//   With numeric features (S3): each side's statistics go through `feature_projection`
//   Linear(F, W) and ReLU and join that side's pooled vector; the two sides [A, B] go through
//   `hidden` Linear(2(H + W), W2), ReLU and dropout, then `classifier` Linear(W2, 3).
import Foundation
import Torch

/// How the head sees a battle.
public enum ClassifierArchitecture: String, Codable, Sendable, CaseIterable {
    /// Two sequences through one shared encoder, pooled and concatenated (S1, S2, S3).
    case pair
    /// One sequence holding the prompt and both responses, a sequence-classification head (S4).
    case cross
}

/// A batch for ``PreferenceClassifier``: token ids and masks [batch, length], int64.
public enum ClassifierInput {
    case cross(ids: Tensor, mask: Tensor)
    /// `features`: each side's numeric features [batch, F], float32 (S3), when the model has them.
    case pair(idsA: Tensor, maskA: Tensor, idsB: Tensor, maskB: Tensor, features: (a: Tensor, b: Tensor)? = nil)
}

/// S3's numeric-feature branch of the pair head.
public struct NumericFeatureHead: Codable, Sendable, Equatable {
    /// Features per side.
    public var count: Int
    /// Width of the per-side projection (S3: 512).
    public var projectionWidth: Int
    /// Width of the joint hidden layer (S3: 256).
    public var hiddenWidth: Int

    public init(count: Int, projectionWidth: Int = 512, hiddenWidth: Int = 256) {
        self.count = count
        self.projectionWidth = projectionWidth
        self.hiddenWidth = hiddenWidth
    }
}

/// An encoder (BERT or DeBERTa-v2/v3) with a 3-way preference head.
public final class PreferenceClassifier {
    public let architecture: ClassifierArchitecture
    public let store: ParameterStore
    public let encoder: any TextEncoderModel
    /// "bert" or "deberta": where the encoder's parameters live in the state dict.
    public let encoderPrefix: String
    public let modelType: String
    /// The number of token ids the embeddings hold (the tokenizer's, added tokens included).
    public let vocabularySize: Int
    public let labelCount = 3
    let initializerRange: Double
    let pooler: Linear?
    let poolerActivation: Activation
    let poolerInputDropout: Double
    let classifier: Linear
    let classifierDropout: Double
    let path: ParameterPath
    let featureProjection: Linear?
    let featureHidden: Linear?
    /// Numeric features per side the pair head takes (0: none).
    public let numericFeatureCount: Int

    /// Builds the model for `folder`'s config.json with fresh weights (normal with the config's
    /// initializer range, seeded by `seed`). `vocabularySize` enlarges the word embeddings for
    /// added tokens; `headDropout` replaces the config's dropout before the classifier;
    /// `numericFeatures` adds S3's feature branch to a pair head.
    public init(folder: ModelFolder, architecture: ClassifierArchitecture, vocabularySize: Int? = nil,
                headDropout: Double? = nil, numericFeatures: NumericFeatureHead? = nil, device: Device = .cpu, seed: UInt64 = 0) throws {
        guard numericFeatures == nil || architecture == .pair else {
            throw ModelError.invalidInput("numeric features are for the pair architecture (S3), not cross")
        }
        self.architecture = architecture
        modelType = folder.modelType
        let store = try ParameterStore(device: device, seed: seed)
        self.store = store
        path = store.root
        let hiddenSize: Int
        let std: Double
        switch folder.modelType {
        case "bert":
            var config = try folder.decodeConfig(BertConfig.self)
            config.vocabSize = max(config.vocabSize, vocabularySize ?? 0)
            self.vocabularySize = config.vocabSize
            initializerRange = config.initializerRange
            encoderPrefix = "bert"
            let model = try BertModel(config: config, store: store, path: store.root.child("bert"), configFile: folder.configFile)
            encoder = model
            let h = config.hiddenSize
            if architecture == .cross {
                pooler = try Linear(store.root.child("bert").child("pooler").child("dense"), inputSize: h, outputSize: h, std: config.initializerRange)
            } else {
                pooler = nil
            }
            poolerActivation = .tanh
            poolerInputDropout = 0
            classifierDropout = headDropout ?? config.classifierDropout ?? config.hiddenDropoutProb
            hiddenSize = h
            std = config.initializerRange
        case "deberta-v2":
            var config = try folder.decodeConfig(DebertaV2Config.self)
            config.vocabSize = max(config.vocabSize, vocabularySize ?? 0)
            self.vocabularySize = config.vocabSize
            initializerRange = config.initializerRange
            encoderPrefix = "deberta"
            let model = try DebertaV2Model(config: config, store: store, path: store.root.child("deberta"), configFile: folder.configFile)
            encoder = model
            let h = config.hiddenSize
            // ContextPooler: dense [pooler_hidden_size, pooler_hidden_size] on a hidden_size
            // vector, output_dim hidden_size; transformers itself only works when they agree.
            let pooled = config.poolerHiddenSize ?? h
            guard architecture == .pair || pooled == h else {
                throw ModelError.unsupportedConfig(file: folder.configFile, field: "pooler_hidden_size",
                                                   reason: "\(pooled) differs from hidden_size \(h); the sequence-classification head needs them equal")
            }
            if architecture == .cross {
                pooler = try Linear(store.root.child("pooler").child("dense"), inputSize: pooled, outputSize: pooled, std: config.initializerRange)
            } else {
                pooler = nil
            }
            poolerActivation = config.poolerHiddenAct
            poolerInputDropout = config.poolerDropout
            classifierDropout = headDropout ?? config.clsDropout ?? config.hiddenDropoutProb
            hiddenSize = h
            std = config.initializerRange
        default:
            throw ModelError.unknownModelType(file: folder.configFile, modelType: folder.modelType, supported: ModelFolder.supportedModelTypes)
        }
        if let numericFeatures {
            numericFeatureCount = numericFeatures.count
            featureProjection = try Linear(store.root.child("feature_projection"), inputSize: numericFeatures.count,
                                           outputSize: numericFeatures.projectionWidth, std: std)
            featureHidden = try Linear(store.root.child("hidden"), inputSize: 2 * (hiddenSize + numericFeatures.projectionWidth),
                                       outputSize: numericFeatures.hiddenWidth, std: std)
            classifier = try Linear(store.root.child("classifier"), inputSize: numericFeatures.hiddenWidth, outputSize: 3, std: std)
        } else {
            numericFeatureCount = 0
            featureProjection = nil
            featureHidden = nil
            classifier = try Linear(store.root.child("classifier"), inputSize: architecture == .cross ? hiddenSize : 2 * hiddenSize,
                                    outputSize: 3, std: std)
        }
    }

    /// Whether dropout is active.
    public var training: Bool {
        get { store.training }
        set { store.training = newValue }
    }

    /// Parameters with their state-dict names, in module order.
    public var namedParameters: [(name: String, tensor: Tensor)] { store.parameters }

    /// Logits [batch, 3] (A wins, B wins, tie).
    public func logits(_ input: ClassifierInput) throws -> Tensor {
        switch (architecture, input) {
        case let (.cross, .cross(ids, mask)):
            let hidden = try encoder.hiddenStates(inputIDs: ids, attentionMask: mask, tokenTypeIDs: nil)
            guard let pooler else { throw ModelError.invalidInput("cross-encoder without a pooler") }
            var first = try hidden.select(dim: 1, index: 0)
            first = try path.dropout(first, probability: poolerInputDropout)
            let pooled = try poolerActivation(pooler(first))
            return try classifier(path.dropout(pooled, probability: classifierDropout))
        case let (.pair, .pair(idsA, maskA, idsB, maskB, features)):
            var a = try Pooling.mean(encoder.hiddenStates(inputIDs: idsA, attentionMask: maskA, tokenTypeIDs: nil), mask: maskA)
            var b = try Pooling.mean(encoder.hiddenStates(inputIDs: idsB, attentionMask: maskB, tokenTypeIDs: nil), mask: maskB)
            guard let featureProjection, let featureHidden else {
                let joined = try Tensor.cat([a, b], dim: -1)
                return try classifier(path.dropout(joined, probability: classifierDropout))
            }
            guard let features else { throw ModelError.invalidInput("this pair head takes \(numericFeatureCount) numeric features per side; none were given") }
            // Under autocast the pooled vectors may be bfloat16; the features join in that type.
            a = try Tensor.cat([a, featureProjection(features.a).relu().to(try a.dtype)], dim: -1)
            b = try Tensor.cat([b, featureProjection(features.b).relu().to(try b.dtype)], dim: -1)
            let hidden = try featureHidden(Tensor.cat([a, b], dim: -1)).relu()
            return try classifier(path.dropout(hidden, probability: classifierDropout))
        default:
            throw ModelError.invalidInput("a \(architecture.rawValue) classifier was given a \(input.architectureName) batch")
        }
    }

    /// Names of the head's parameters (everything outside the encoder, and BERT's pooler).
    public func isHeadParameter(_ name: String) -> Bool {
        !name.hasPrefix(encoderPrefix + ".") || name.hasPrefix("bert.pooler.")
    }

    /// Loads a pretrained encoder (a Hugging Face folder's weights) into the encoder, leaving the
    /// head at its initial values. Names with or without the `bert.`/`deberta.` prefix are
    /// accepted; a checkpoint's pooler is used when this head has one (as Hugging Face does),
    /// a checkpoint's `classifier.*` and pretraining heads are left unused. Word embeddings
    /// shorter than ``vocabularySize`` are extended with new rows (normal with the initializer
    /// range, seeded), as `resize_token_embeddings` does for added tokens. Anything else
    /// missing, unused or of the wrong shape is a ``ModelError/weightMismatch``.
    @discardableResult
    public func loadPretrainedEncoder(from folder: ModelFolder, seed: UInt64 = 0) throws -> LoadReport {
        let file = try folder.weightsFile()
        let raw = try Checkpoint.read(path: file)
        let own = Set(store.parameters.map(\.name))
        var weights: [String: Tensor] = [:]
        var dropped: [String] = []
        for (name, tensor) in raw {
            if name.hasPrefix("classifier.") { dropped.append(name); continue }
            var target = name
            if target.hasSuffix(".gamma") { target = String(target.dropLast(6)) + ".weight" }
            if target.hasSuffix(".beta") { target = String(target.dropLast(5)) + ".bias" }
            if !own.contains(target), own.contains(encoderPrefix + "." + target) { target = encoderPrefix + "." + target }
            weights[target] = tensor
        }
        let embeddingName = encoderPrefix + ".embeddings.word_embeddings.weight"
        if let embeddings = weights[embeddingName], let expected = store.tensor(named: embeddingName) {
            let have = try embeddings.size(0)
            let want = try expected.size(0)
            let width = try embeddings.size(1)
            if have < want, width == (try expected.size(1)) {
                let generator = try Generator(seed: seed &+ 0x5EED)
                let extra = try Tensor.randn([want - have, width], dtype: try embeddings.dtype, generator: generator) * initializerRange
                weights[embeddingName] = try Tensor.cat([embeddings, extra], dim: 0)
            }
        }
        let ignored: @Sendable (String) -> Bool = modelType == "bert" ? BertModel.ignoredCheckpointTensors : DebertaV2Model.ignoredCheckpointTensors
        let prefix = encoderPrefix
        let ownNames = own
        var report = try store.load(weights, file: file, policy: LoadPolicy(
            allowMissing: { name in !name.hasPrefix(prefix + ".") || name.hasPrefix("bert.pooler.") },
            allowUnused: { name in
                let bare = name.hasPrefix(prefix + ".") ? String(name.dropFirst(prefix.count + 1)) : name
                return !ownNames.contains(name) && (ignored(name) || ignored(bare))
            }))
        report.unused += dropped.sorted()
        return report
    }

    /// Loads a full state dict (this classifier's own file), strictly.
    @discardableResult
    public func loadWeights(file: String) throws -> LoadReport {
        try store.load(try Checkpoint.read(path: file), file: file, policy: .strict)
    }

    /// The state dict as float32 on the CPU, in module order.
    public func stateDict() throws -> [(name: String, tensor: Tensor)] {
        try store.parameters.map { ($0.name, try $0.tensor.detach().to(.float32).to(.cpu).contiguous()) }
    }

    /// Writes the state dict as safetensors (atomically; metadata "format": "pt", which
    /// transformers' `from_pretrained` requires).
    public func save(to file: String, metadata: [String: String] = [:]) throws {
        try Safetensors.write(try stateDict(), metadata: metadata.merging(["format": "pt"]) { mine, _ in mine }, to: file)
    }
}

extension ClassifierInput {
    var architectureName: String {
        switch self {
        case .cross: return "cross"
        case .pair: return "pair"
        }
    }

    /// The number of rows.
    public func batchSize() throws -> Int {
        switch self {
        case let .cross(ids, _): return try ids.size(0)
        case let .pair(idsA, _, _, _, _): return try idsA.size(0)
        }
    }
}
