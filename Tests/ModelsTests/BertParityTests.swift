import Foundation
import Testing
@testable import Models
import Torch

func fixtureFolder(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw ModelError.missingConfig(folder: "Fixtures/\(name)")
    }
    return url.path
}

/// Largest |a - b| over the largest |b|.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    let scale = Double(b.map { Swift.abs($0) }.max() ?? 1)
    let worst = zip(a, b).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
    return worst / Swift.max(scale, 1e-12)
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
}

/// Loads a fixture folder written by tools/make_model_fixtures.py into a BertModel, strictly.
func loadBert(_ name: String) throws -> (BertModel, SafetensorsFile, WeightLoadReport) {
    let folder = try ModelFolder(path: try fixtureFolder(name))
    let config = try folder.decodeConfig(BertConfig.self)
    let store = try ParameterStore(seed: 1)
    let model = try BertModel(config: config, store: store)
    let weightsFile = try folder.weightsFile()
    let policy = LoadPolicy(allowUnused: BertModel.ignoredCheckpointTensors)
    let report = try store.load(try Checkpoint.read(path: weightsFile), file: weightsFile, prefix: "bert", policy: policy)
    let reference = try SafetensorsFile(path: folder.path + "/reference.safetensors")
    return (model, reference, report)
}

@Suite struct BertParityTests {
    /// Last hidden states of a right-padded batch within 1e-4 of transformers', and the
    /// gradients of a scalar loss within 1e-3 relative.
    @Test func hiddenStatesAndGradientsMatchTransformers() throws {
        let (model, reference, report) = try loadBert("bert-tiny")
        #expect(report.unused.sorted() == ["pooler.dense.bias", "pooler.dense.weight"])
        #expect(report.missing.isEmpty)
        let hidden = try model(inputIDs: reference.tensor("input_ids"), attentionMask: reference.tensor("attention_mask"),
                               tokenTypeIDs: reference.tensor("token_type_ids"))
        let expected = try reference.tensor("last_hidden_state")
        #expect(try hidden.shape == expected.shape)
        let difference = maxAbsDifference(try hidden.floats(), try expected.floats())
        #expect(difference < 1e-4, "last hidden state differs by \(difference)")

        let mask = try reference.tensor("attention_mask").unsqueeze(-1).to(.float32)
        let loss = try (hidden * reference.tensor("loss_weight") * mask).sum()
        try loss.backward()
        let gradients = reference.names.filter { $0.hasPrefix("grad.") }
        #expect(gradients.count == 5)
        for name in gradients {
            let parameter = try #require(model.store.tensor(named: String(name.dropFirst(5))), "\(name)")
            let grad = try #require(try parameter.grad, "no gradient for \(name)")
            let relative = relativeDifference(try grad.floats(), try reference.tensor(name).floats())
            #expect(relative < 1e-3, "\(name) differs by \(relative) relative")
        }
    }

    /// Dropout follows the store's training flag: on in training, off in evaluation.
    @Test func trainingModeAppliesDropout() throws {
        let (model, reference, _) = try loadBert("bert-tiny")
        let ids = try reference.tensor("input_ids"), mask = try reference.tensor("attention_mask")
        let evaluation = try withNoGrad { try model(inputIDs: ids, attentionMask: mask).floats() }
        model.store.training = true
        // Dropout draws from libtorch's global generator: held, so that a test beside this one
        // that needs its masks reproducible is not disturbed.
        let training = try LibTorch.withGlobalGenerator(seed: 7) { try withNoGrad { try model(inputIDs: ids, attentionMask: mask).floats() } }
        model.store.training = false
        let again = try withNoGrad { try model(inputIDs: ids, attentionMask: mask).floats() }
        #expect(evaluation == again)
        #expect(maxAbsDifference(training, evaluation) > 1e-3)
    }

    /// Training mode (dropout 0.1 in the embeddings, the attention probabilities and every
    /// residual output; attention through the eager path) against transformers' training-mode
    /// forward: the same seed of libtorch's global generator draws the same dropout masks when the
    /// blocks apply dropout in the same order, so the hidden states agree to rounding.
    @Test func trainingModeMatchesTransformersWithTheSameSeed() throws {
        let (model, reference, _) = try loadBert("bert-tiny")
        model.store.training = true
        // Held so that tests running beside this one (fine-tuning) do not draw from it meanwhile.
        let hidden = try LibTorch.withGlobalGenerator(seed: 1234) {
            try withNoGrad {
                try model(inputIDs: reference.tensor("input_ids"), attentionMask: reference.tensor("attention_mask"),
                          tokenTypeIDs: reference.tensor("token_type_ids")).floats()
            }
        }
        let expected = try reference.tensor("train_hidden_state").floats()
        #expect(hidden.count == expected.count)
        #expect(maxAbsDifference(hidden, expected) < 1e-5, "max difference \(maxAbsDifference(hidden, expected))")
        // Not the evaluation output: dropout was applied.
        #expect(maxAbsDifference(expected, try reference.tensor("last_hidden_state").floats()) > 1e-2)
    }
}

/// The real all-MiniLM-L6-v2: mean-pooled, normalised embeddings of 20 sample texts within 1e-4
/// of sentence-transformers' own (tools/make_minilm_fixtures.py), from the token ids its
/// tokenizer produced.
@Suite struct MiniLMParityTests {
    struct Reference: Decodable {
        let texts: [String]
        let input_ids: [[Int]]
        let embeddings: [[Float]]
    }

    static func folder() -> String? {
        if let path = ProcessInfo.processInfo.environment["ARENA_MINILM"], !path.isEmpty { return path }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let candidate = root.appendingPathComponent(".models/all-MiniLM-L6-v2").path
        return FileManager.default.fileExists(atPath: candidate + "/config.json") ? candidate : nil
    }

    @Test func embeddingsMatchSentenceTransformers() throws {
        guard let path = Self.folder() else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh (or set ARENA_MINILM)")
            return
        }
        let url = try #require(Bundle.module.url(forResource: "minilm-embeddings", withExtension: "json", subdirectory: "Fixtures"))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let folder = try ModelFolder(path: path)
        #expect(folder.modelType == "bert")
        let store = try ParameterStore()
        let model = try BertModel(config: try folder.decodeConfig(BertConfig.self), store: store)
        let weights = try folder.weightsFile()
        try store.load(try Checkpoint.read(path: weights), file: weights, prefix: "bert",
                       policy: LoadPolicy(allowUnused: BertModel.ignoredCheckpointTensors))
        let length = reference.input_ids.map(\.count).max() ?? 0
        var ids: [Int64] = []
        var mask: [Int64] = []
        for row in reference.input_ids {
            ids += row.map { Int64($0) } + [Int64](repeating: 0, count: length - row.count)
            mask += [Int64](repeating: 1, count: row.count) + [Int64](repeating: 0, count: length - row.count)
        }
        let shape = [reference.input_ids.count, length]
        let embeddings = try withNoGrad {
            let maskTensor = try Tensor(mask, shape: shape)
            let hidden = try model(inputIDs: Tensor(ids, shape: shape), attentionMask: maskTensor)
            return try l2Normalized(Pooling.mean(hidden, mask: maskTensor)).floats()
        }
        let expected = reference.embeddings.flatMap { $0 }
        #expect(embeddings.count == expected.count)
        let difference = maxAbsDifference(embeddings, expected)
        #expect(difference < 1e-4, "largest difference from sentence-transformers: \(difference)")
    }
}
