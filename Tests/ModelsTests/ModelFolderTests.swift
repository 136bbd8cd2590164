import Foundation
import Testing
@testable import Models
import Torch

/// A copy of the bert-tiny fixture folder in a temporary place, to break on purpose.
private func scratchCopy() throws -> URL {
    let source = URL(fileURLWithPath: try fixtureFolder("bert-tiny"))
    let target = FileManager.default.temporaryDirectory.appendingPathComponent("arena-model-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: source, to: target)
    return target
}

private func editConfig(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
    let url = folder.appendingPathComponent("config.json")
    var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    edit(&object)
    try JSONSerialization.data(withJSONObject: object).write(to: url)
}

@Suite struct ModelFolderTests {
    @Test func loadsTheFixtureAndReportsWhatItIgnored() throws {
        let folder = try ModelFolder(path: try fixtureFolder("bert-tiny"))
        let (model, report) = try EncoderLoader.load(folder)
        #expect(model.hiddenSize == 32)
        #expect(report.unused.sorted() == ["pooler.dense.bias", "pooler.dense.weight"])
    }

    /// Absolute positions limit the sequence length; DeBERTa-v3's relative ones do not.
    @Test func sequenceLengthLimits() throws {
        let bert = try ModelFolder(path: try fixtureFolder("bert-tiny"))
        #expect(try bert.maximumSequenceLength() == 64)
        #expect(throws: Never.self) { try bert.checkSequenceLength(64) }
        #expect {
            try bert.checkSequenceLength(65)
        } throws: { error in
            guard case let ModelError.sequenceTooLong(file, length, limit) = error else { return false }
            return file.hasSuffix("bert-tiny/config.json") && length == 65 && limit == 64
        }
        #expect(try ModelFolder(path: try fixtureFolder("deberta-v2-absolute")).maximumSequenceLength() == 64)
        #expect(try ModelFolder(path: try fixtureFolder("deberta-v3-tiny")).maximumSequenceLength() == nil)
    }

    @Test func folderWithoutConfig() throws {
        let folder = try scratchCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        #expect(throws: ModelError.missingConfig(folder: folder.path)) { try ModelFolder(path: folder.path) }
        #expect(throws: ModelError.self) { try ModelFolder(path: folder.path + "/nonexistent") }
    }

    @Test func unknownModelTypeAndBadFields() throws {
        let folder = try scratchCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configFile = folder.appendingPathComponent("config.json").path
        try editConfig(folder) { $0["model_type"] = "gpt2" }
        #expect(throws: ModelError.unknownModelType(file: configFile, modelType: "gpt2", supported: ModelFolder.supportedModelTypes)) {
            try ModelFolder(path: folder.path)
        }
        try editConfig(folder) { $0["model_type"] = "bert"; $0["hidden_size"] = "wide" }
        do {
            _ = try ModelFolder(path: folder.path).decodeConfig(BertConfig.self)
            Issue.record("a string hidden_size was accepted")
        } catch let ModelError.invalidConfig(file, field, _) {
            #expect(file == configFile && field == "hidden_size")
        }
        try editConfig(folder) { $0["hidden_size"] = 32; $0["position_embedding_type"] = "relative_key" }
        #expect(throws: ModelError.self) { try EncoderLoader.load(try ModelFolder(path: folder.path)) }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: configFile))
        #expect(throws: ModelError.self) { try ModelFolder(path: folder.path) }
    }

    /// Missing, unused and wrong-shaped tensors are all named in one error.
    @Test func weightsThatDoNotFit() throws {
        let folder = try scratchCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("model.safetensors").path
        var weights = try Safetensors.read(path: file)
        weights["embeddings.word_embeddings.weight"] = try Tensor.zeros([121, 32])
        weights["encoder.layer.1.output.dense.bias"] = nil
        weights["encoder.layer.9.extra.weight"] = try Tensor.zeros([2])
        try Safetensors.write(weights.map { (name: $0.key, tensor: $0.value) }, to: file)
        do {
            _ = try EncoderLoader.load(try ModelFolder(path: folder.path))
            Issue.record("weights that do not fit were accepted")
        } catch let ModelError.weightMismatch(errorFile, missing, unused, wrongShape) {
            #expect(errorFile == file)
            #expect(missing == ["encoder.layer.1.output.dense.bias"])
            #expect(unused == ["encoder.layer.9.extra.weight"])
            #expect(wrongShape == [ShapeMismatch(name: "embeddings.word_embeddings.weight", expected: [120, 32], found: [121, 32])])
            let message = ModelError.weightMismatch(file: errorFile, missing: missing, unused: unused, wrongShape: wrongShape).description
            #expect(message.contains("model [120, 32], file [121, 32]"))
        }
        // A new head may be missing when the policy says so.
        let store = try ParameterStore()
        _ = try BertModel(config: try ModelFolder(path: folder.path).decodeConfig(BertConfig.self), store: store)
        _ = try Linear(store.root.child("classifier"), inputSize: 32, outputSize: 3)
        let original = try Safetensors.read(path: try fixtureFolder("bert-tiny") + "/model.safetensors")
        let report = try store.load(original, file: "model.safetensors", policy: LoadPolicy(
            allowMissing: { $0.hasPrefix("classifier.") }, allowUnused: BertModel.ignoredCheckpointTensors))
        #expect(report.missing == ["classifier.weight", "classifier.bias"])
    }

    @Test func truncatedWeightsFile() throws {
        let folder = try scratchCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        #expect {
            try EncoderLoader.load(try ModelFolder(path: folder.path))
        } throws: { error in
            guard case .truncated(let file, _)? = error as? CheckpointError else { return false }
            return file == url.path
        }
        try FileManager.default.removeItem(at: url)
        #expect(throws: ModelError.missingWeights(folder: folder.path)) { try EncoderLoader.load(try ModelFolder(path: folder.path)) }
    }
}
