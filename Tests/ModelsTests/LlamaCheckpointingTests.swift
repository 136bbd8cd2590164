import Foundation
import Testing
@testable import Models
import Torch

/// `LlamaModel.gradientCheckpointing`: training with each decoder layer recomputed in the
/// backward pass gives the gradients of training without it (attention dropout on, the same
/// masks drawn in the recomputation), for every parameter of Fixtures/llama-tiny.
@Suite(.serialized) struct LlamaCheckpointingTests {
    func gradients(checkpointing: Bool) throws -> [String: [Float]] {
        let folder = try fixtureFolder("llama-tiny")
        var config = try LlamaConfig.read(file: folder + "/config.json")
        config.attentionDropout = 0.2
        let store = try ParameterStore(seed: 1)
        let model = try LlamaModel(config: config, store: store)
        let weightsFile = folder + "/model.safetensors"
        try store.load(try Checkpoint.read(path: weightsFile), file: weightsFile, prefix: "model",
                       policy: LoadPolicy(allowUnused: LlamaModel.ignoredCheckpointTensors))
        model.gradientCheckpointing = checkpointing
        store.training = true
        let reference = try SafetensorsFile(path: folder + "/reference.safetensors")
        try LibTorch.withGlobalGenerator(seed: 9) {
            let hidden = try model(inputIDs: reference.tensor("input_ids"), attentionMask: reference.tensor("attention_mask"))
            try (hidden * reference.tensor("loss_weight")).sum().backward()
        }
        var result: [String: [Float]] = [:]
        for (name, tensor) in store.parameters { result[name] = try #require(try tensor.grad, "\(name) has no gradient").floats() }
        return result
    }

    @Test func checkpointedLayersGiveTheSameGradients() throws {
        let direct = try gradients(checkpointing: false)
        let recomputed = try gradients(checkpointing: true)
        #expect(direct.keys.sorted() == recomputed.keys.sorted())
        #expect(direct.count == 2 * 13 + 2, "embeddings, 13 tensors per layer (q/k/v/o with biases, 3 MLP, 2 norms), final norm")
        for (name, a) in direct {
            let b = try #require(recomputed[name])
            let difference = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-6, "\(name): gradients differ by \(difference)")
        }
    }
}
