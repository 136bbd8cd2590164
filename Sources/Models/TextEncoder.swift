import Foundation
import Torch

/// An encoder that turns token ids into hidden states (BERT, DeBERTa-v2/v3): what an
/// ``EncoderFamily`` builds, and the one encoder value ``PreferenceClassifier`` and
/// ``EncoderLoader`` hold whatever the family.
public protocol TextEncoderModel: AnyObject {
    var store: ParameterStore { get }
    var hiddenSize: Int { get }
    /// Rows of the word embeddings (the tokenizer's vocabulary, added tokens included).
    var vocabularySize: Int { get }
    /// The standard deviation of fresh weights (`initializer_range`).
    var initializerRange: Double { get }
    /// Last hidden states [batch, length, hidden].
    func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor
}

/// Builds the encoder of a Hugging Face folder and loads its weights strictly.
public enum EncoderLoader {
    /// The encoder of `folder`'s family (config.json's `model_type`, see ``ModelRegistry``), with
    /// the folder's weights. Pretraining heads, poolers and `position_ids` buffers in the file are
    /// allowed as unused; anything else missing, unused or of the wrong shape is a
    /// ``ModelError/weightMismatch``.
    public static func load(_ folder: ModelFolder, device: Device = .cpu, seed: UInt64 = 0) throws -> (model: any TextEncoderModel, report: WeightLoadReport) {
        let store = try ParameterStore(device: device, seed: seed)
        let family = folder.family
        let model = try family.makeEncoder(folder: folder, path: store.root)
        let weightsFile = try folder.weightsFile()
        let weights = try Checkpoint.read(path: weightsFile)
        let report = try store.load(weights, file: weightsFile, prefix: family.stateDictPrefix,
                                    policy: LoadPolicy(allowUnused: family.ignoredCheckpointTensors))
        return (model, report)
    }
}
