import Foundation
import Torch

/// An encoder that turns token ids into hidden states (BERT, DeBERTa-v2/v3).
public protocol TextEncoderModel: AnyObject {
    var store: ParameterStore { get }
    var hiddenSize: Int { get }
    /// Last hidden states [batch, length, hidden].
    func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor
}

extension BertModel: TextEncoderModel {
    public var hiddenSize: Int { config.hiddenSize }

    public func hiddenStates(inputIDs: Tensor, attentionMask: Tensor, tokenTypeIDs: Tensor?) throws -> Tensor {
        try self(inputIDs: inputIDs, attentionMask: attentionMask, tokenTypeIDs: tokenTypeIDs)
    }
}

/// Builds the encoder of a Hugging Face folder and loads its weights strictly.
public enum EncoderLoader {
    /// The encoder named by config.json's `model_type`, with the folder's weights. Pretraining
    /// heads, poolers and `position_ids` buffers in the file are allowed as unused; anything
    /// else missing, unused or of the wrong shape is a ``ModelError/weightMismatch``.
    public static func load(_ folder: ModelFolder, device: Device = .cpu, seed: UInt64 = 0) throws -> (model: any TextEncoderModel, report: LoadReport) {
        let store = try ParameterStore(device: device, seed: seed)
        let model: any TextEncoderModel
        let prefix: String
        let unused: @Sendable (String) -> Bool
        switch folder.modelType {
        case "bert":
            model = try BertModel(config: try folder.decodeConfig(BertConfig.self), store: store, configFile: folder.configFile)
            prefix = "bert"
            unused = BertModel.ignoredCheckpointTensors
        case "deberta-v2":
            model = try DebertaV2Model(config: try folder.decodeConfig(DebertaV2Config.self), store: store, configFile: folder.configFile)
            prefix = "deberta"
            unused = DebertaV2Model.ignoredCheckpointTensors
        default:
            throw ModelError.unknownModelType(file: folder.configFile, modelType: folder.modelType, supported: ModelFolder.supportedModelTypes)
        }
        let weightsFile = try folder.weightsFile()
        let weights = try Checkpoint.read(path: weightsFile)
        let report = try store.load(weights, file: weightsFile, prefix: prefix, policy: LoadPolicy(allowUnused: unused))
        return (model, report)
    }
}
