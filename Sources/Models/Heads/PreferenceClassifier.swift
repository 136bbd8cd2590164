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
//   LlamaForSequenceClassification
//   https://github.com/huggingface/transformers/blob/v4.40.2/src/transformers/models/llama/modeling_llama.py#L1323
//   (decoders: `score` Linear(hidden, 3, bias=False) at the token before the first pad id, no dropout)
//   Parameter names are the checkpoint's (`bert.pooler.dense.weight`, `pooler.dense.weight`,
//   `classifier.weight`, `model.layers.0...`, `score.weight`), so a saved cross-encoder is a
//   Hugging Face state dict.
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

/// An encoder of any registered family (BERT, DeBERTa-v2/v3, see ``ModelRegistry``) with a
/// 3-way preference head.
public final class PreferenceClassifier {
    public let store: ParameterStore
    /// The family of the model folder this classifier was built for.
    public let family: any EncoderFamily
    public let encoder: any TextEncoderModel
    public let labelCount = 3
    let head: Head
    let classifier: Linear
    let classifierDropout: Double
    let path: ParameterPath

    /// What sits between the encoder and `classifier`.
    enum Head {
        /// `*ForSequenceClassification` of an encoder: the family's pooler on the first token.
        case cross(pooler: Linear, pooling: SequenceClassificationPooler)
        /// `*ForSequenceClassification` of a decoder: `score` (here `classifier`) on the token
        /// before the first `padTokenId` of each row.
        case lastToken(padTokenId: Int?)
        /// Each side mean-pooled over its real tokens; with S3's numeric-feature branch when
        /// `features` is set.
        case pair(features: FeatureBranch?)
    }

    /// S3's branch: `feature_projection` Linear(F, W) and ReLU per side, `hidden` Linear(2(H + W), W2).
    struct FeatureBranch {
        let count: Int
        let projection: Linear
        let hidden: Linear
    }

    public var architecture: ClassifierArchitecture {
        switch head {
        case .cross, .lastToken: return .cross
        case .pair: return .pair
        }
    }

    /// Where the encoder's parameters live in the state dict ("bert", "deberta").
    public var encoderPrefix: String { family.stateDictPrefix }
    /// config.json's `model_type`.
    public var modelType: String { family.modelType }
    /// The number of token ids the embeddings hold (the tokenizer's, added tokens included).
    public var vocabularySize: Int { encoder.vocabularySize }
    /// Numeric features per side the pair head takes (0: none).
    public var numericFeatureCount: Int {
        if case .pair(let features?) = head { return features.count }
        return 0
    }

    /// Builds the model for `folder`'s config.json with fresh weights (normal with the config's
    /// initializer range, seeded by `seed`). `vocabularySize` enlarges the word embeddings for
    /// added tokens; `headDropout` replaces the config's dropout before the classifier;
    /// `numericFeatures` adds S3's feature branch to a pair head; `paddingID`, for a decoder's
    /// cross head, is the id its batches are padded with, where the head stops reading (nil:
    /// config.json's `pad_token_id`). With `adapter` the model is built for LoRA (docs/LORA.md):
    /// the encoder's weights frozen in `baseDType`, the targeted Linears given float32 adapters,
    /// the head trained in float32; a target the model does not have is a
    /// ``ModelError/adapterTargetsNotFound``.
    public init(folder: ModelFolder, architecture: ClassifierArchitecture, vocabularySize: Int? = nil,
                headDropout: Double? = nil, numericFeatures: NumericFeatureHead? = nil, paddingID: Int? = nil,
                adapter: LoraConfig? = nil, baseDType: DType = .float32, device: Device = .cpu, seed: UInt64 = 0) throws {
        guard numericFeatures == nil || architecture == .pair else {
            throw ModelError.invalidInput("numeric features are for the pair architecture (S3), not cross")
        }
        let family = folder.family
        self.family = family
        guard adapter != nil || baseDType == .float32 else {
            throw ModelError.invalidInput("a \(baseDType) base is for LoRA, where it stays frozen; full fine-tuning keeps float32 weights")
        }
        let store = try adapter.map { try ParameterStore(device: device, dtype: baseDType, seed: seed, adapter: $0) }
            ?? ParameterStore(device: device, seed: seed)
        self.store = store
        path = store.root
        // Parameters are created in module order: encoder, pooler, feature branch, classifier.
        encoder = try family.makeEncoder(folder: folder, path: store.root.child(family.stateDictPrefix), vocabularySize: vocabularySize)
        let hiddenSize = encoder.hiddenSize
        let std = encoder.initializerRange
        classifierDropout = try headDropout ?? family.classifierDropout(of: folder)
        let classifierInput: Int
        switch architecture {
        case .cross:
            switch try family.sequenceClassificationHead(of: folder) {
            case .pooler(let pooling):
                let pooler = try Linear(store.root.descendant(family.poolerPrefix).child("dense"),
                                        inputSize: pooling.width, outputSize: pooling.width, std: std)
                head = .cross(pooler: pooler, pooling: pooling)
            case .lastToken(let padTokenId):
                head = .lastToken(padTokenId: paddingID ?? padTokenId)
            }
            classifierInput = hiddenSize
        case .pair:
            if let numericFeatures {
                let projection = try Linear(store.root.child("feature_projection"), inputSize: numericFeatures.count,
                                            outputSize: numericFeatures.projectionWidth, std: std)
                let hidden = try Linear(store.root.child("hidden"), inputSize: 2 * (hiddenSize + numericFeatures.projectionWidth),
                                        outputSize: numericFeatures.hiddenWidth, std: std)
                head = .pair(features: FeatureBranch(count: numericFeatures.count, projection: projection, hidden: hidden))
                classifierInput = numericFeatures.hiddenWidth
            } else {
                head = .pair(features: nil)
                classifierInput = 2 * hiddenSize
            }
        }
        if case .lastToken = head {
            classifier = try Linear(store.root.child("score"), inputSize: classifierInput, outputSize: 3, bias: false, std: std)
        } else {
            classifier = try Linear(store.root.child("classifier"), inputSize: classifierInput, outputSize: 3, std: std)
        }
        try store.checkAdapterTargets()
    }

    /// The classification layer's name in the state dict: `classifier`, or `score` for decoders.
    public var classifierName: String {
        if case .lastToken = head { return "score" }
        return "classifier"
    }

    /// Whether dropout is active.
    public var training: Bool {
        get { store.training }
        set { store.training = newValue }
    }

    /// Parameters with their state-dict names, in module order.
    public var namedParameters: [(name: String, tensor: Tensor)] { store.parameters }

    /// Turns on activation checkpointing in the encoder (each decoder layer recomputed in the
    /// backward pass, ``checkpointed(_:_:)``); encoders without it are a ``ModelError``.
    public func enableGradientCheckpointing() throws {
        guard let decoder = encoder as? any DecoderBackbone else {
            throw ModelError.invalidInput("gradient checkpointing is implemented for the decoders, not \(modelType)")
        }
        decoder.gradientCheckpointing = true
    }

    /// The parameters training updates: all of them, or under LoRA the adapters and the head.
    public var trainableParameters: [(name: String, tensor: Tensor)] {
        get throws { store.adapter == nil ? store.parameters : try store.trainableParameters }
    }

    /// Logits [batch, 3] (A wins, B wins, tie).
    public func logits(_ input: ClassifierInput) throws -> Tensor {
        switch (head, input) {
        case let (.cross(pooler, pooling), .cross(ids, mask)):
            let hidden = try encoder.hiddenStates(inputIDs: ids, attentionMask: mask, tokenTypeIDs: nil)
            var first = try hidden.select(dim: 1, index: 0)
            first = try path.dropout(first, probability: pooling.inputDropout)
            let pooled = try pooling.activation(pooler(first))
            return try classifier(path.dropout(pooled, probability: classifierDropout))
        case let (.lastToken(padTokenId), .cross(ids, mask)):
            // LlamaForSequenceClassification scores every position and gathers one; gathering
            // the hidden state first gives the same logits for a fraction of the work.
            let hidden = try encoder.hiddenStates(inputIDs: ids, attentionMask: mask, tokenTypeIDs: nil)
            let shape = try hidden.shape
            let ends = try LlamaForSequenceClassification.sequenceEnds(inputIDs: ids, padTokenId: padTokenId).to(try hidden.device)
            let index = try ends.view([shape[0], 1, 1]).expand([shape[0], 1, shape[2]])
            let last = try hidden.gather(dim: 1, index: index).squeeze(1)
            return try classifier(path.dropout(last, probability: classifierDropout))
        case let (.pair(branch), .pair(idsA, maskA, idsB, maskB, features)):
            var a = try Pooling.mean(encoder.hiddenStates(inputIDs: idsA, attentionMask: maskA, tokenTypeIDs: nil), mask: maskA)
            var b = try Pooling.mean(encoder.hiddenStates(inputIDs: idsB, attentionMask: maskB, tokenTypeIDs: nil), mask: maskB)
            guard let branch else {
                let joined = try Tensor.cat([a, b], dim: -1)
                return try classifier(path.dropout(joined, probability: classifierDropout))
            }
            guard let features else { throw ModelError.invalidInput("this pair head takes \(branch.count) numeric features per side; none were given") }
            // Under autocast the pooled vectors may be bfloat16; the features join in that type.
            a = try Tensor.cat([a, branch.projection(features.a).relu().to(try a.dtype)], dim: -1)
            b = try Tensor.cat([b, branch.projection(features.b).relu().to(try b.dtype)], dim: -1)
            let hidden = try branch.hidden(Tensor.cat([a, b], dim: -1)).relu()
            return try classifier(path.dropout(hidden, probability: classifierDropout))
        default:
            throw ModelError.invalidInput("a \(architecture.rawValue) classifier was given a \(input.architectureName) batch")
        }
    }

    /// Names of the head's parameters: everything outside the encoder, and the family's pooler
    /// when it lives inside the encoder (BERT's `bert.pooler.*`).
    public func isHeadParameter(_ name: String) -> Bool {
        Self.isHeadParameter(name, encoderPrefix: encoderPrefix, poolerPrefix: family.poolerPrefix)
    }

    static func isHeadParameter(_ name: String, encoderPrefix: String, poolerPrefix: String) -> Bool {
        !name.hasPrefix(encoderPrefix + ".") || name.hasPrefix(poolerPrefix + ".")
    }

    /// Loads a pretrained encoder (a Hugging Face folder's weights) into the encoder, leaving the
    /// head at its initial values. Names with or without the family's prefix (`bert.`, `deberta.`) are
    /// accepted; a checkpoint's pooler is used when this head has one (as Hugging Face does),
    /// a checkpoint's `classifier.*` and pretraining heads are left unused. Word embeddings
    /// shorter than ``vocabularySize`` are extended with new rows (normal with the initializer
    /// range, seeded), as `resize_token_embeddings` does for added tokens. Anything else
    /// missing, unused or of the wrong shape is a ``ModelError/weightMismatch``.
    @discardableResult
    public func loadPretrainedEncoder(from folder: ModelFolder, seed: UInt64 = 0) throws -> WeightLoadReport {
        let file = try folder.weightsFile()
        let raw = try Checkpoint.read(path: file)
        let own = Set(store.parameters.map(\.name))
        var weights: [String: Tensor] = [:]
        var dropped: [String] = []
        for (name, tensor) in raw {
            if name.hasPrefix("classifier.") || name.hasPrefix("score.") { dropped.append(name); continue }
            var target = name
            if target.hasSuffix(".gamma") { target = String(target.dropLast(6)) + ".weight" }
            if target.hasSuffix(".beta") { target = String(target.dropLast(5)) + ".bias" }
            if !own.contains(target), own.contains(encoderPrefix + "." + target) { target = encoderPrefix + "." + target }
            weights[target] = tensor
        }
        let embeddingName = encoderPrefix + "." + family.wordEmbeddingsName
        if let embeddings = weights[embeddingName], let expected = store.tensor(named: embeddingName) {
            let have = try embeddings.size(0)
            let want = try expected.size(0)
            let width = try embeddings.size(1)
            if have < want, width == (try expected.size(1)) {
                let generator = try Generator(seed: seed &+ 0x5EED)
                let extra = try Tensor.randn([want - have, width], dtype: try embeddings.dtype, generator: generator) * encoder.initializerRange
                weights[embeddingName] = try Tensor.cat([embeddings, extra], dim: 0)
            }
        }
        let ignored = family.ignoredCheckpointTensors
        let prefix = encoderPrefix
        let poolerPrefix = family.poolerPrefix
        let ownNames = own
        let adapter = store.adapter
        var report = try store.load(weights, file: file, policy: LoadPolicy(
            allowMissing: { name in
                Self.isHeadParameter(name, encoderPrefix: prefix, poolerPrefix: poolerPrefix) || adapter?.isAdapterParameter(name) == true
            },
            allowUnused: { name in
                let bare = name.hasPrefix(prefix + ".") ? String(name.dropFirst(prefix.count + 1)) : name
                return !ownNames.contains(name) && (ignored(name) || ignored(bare))
            }))
        report.unused += dropped.sorted()
        return report
    }

    /// Loads this classifier's own file (``save(to:metadata:)``), strictly: the full state dict,
    /// or under LoRA the trainable parameters (the frozen base comes from
    /// ``loadPretrainedEncoder(from:seed:)``).
    @discardableResult
    public func loadWeights(file: String) throws -> WeightLoadReport {
        let weights = try Checkpoint.read(path: file)
        guard store.adapter != nil else { return try store.load(weights, file: file, policy: .strict) }
        let trainable = Set(try trainableParameters.map(\.name))
        return try store.load(weights, file: file, policy: LoadPolicy(allowMissing: { !trainable.contains($0) }))
    }

    /// The state dict as float32 on the CPU, in module order: every parameter, or under LoRA the
    /// trainable ones (the adapters and the head; the base is the pretrained folder's).
    public func stateDict() throws -> [(name: String, tensor: Tensor)] {
        try trainableParameters.map { ($0.name, try $0.tensor.detach().to(.float32).to(.cpu).contiguous()) }
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
