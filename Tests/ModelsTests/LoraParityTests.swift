import Foundation
import Testing
@testable import Models
import Torch

/// Builds the llama-tiny-cls classifier under the adapter plan of `fixture`'s adapter_config.json,
/// with the base weights of Fixtures/llama-tiny-cls and, when `loadAdapter`, peft's adapter.
func loraClassifier(_ fixture: String, dtype: DType = .float32, loadAdapter: Bool = true,
                    config override: LoraConfig? = nil) throws -> (LlamaForSequenceClassification, SafetensorsFile) {
    let base = try fixtureFolder("llama-tiny-cls")
    let folder = try fixtureFolder(fixture)
    let adapterConfig = try override ?? LoraConfig.read(file: folder + "/adapter_config.json")
    let store = try ParameterStore(dtype: dtype, seed: 1, adapter: adapterConfig)
    let config = try LlamaConfig.read(file: base + "/config.json")
    let classifier = try LlamaForSequenceClassification(config: config, store: store, labelCount: 3)
    try store.checkAdapterTargets()
    let adapterNames = Set(store.adapterParameters.map(\.name))
    try store.load(try Checkpoint.read(path: base + "/model.safetensors"), file: "llama-tiny-cls/model.safetensors",
                   policy: LoadPolicy(allowMissing: { adapterNames.contains($0) }))
    if loadAdapter { try LoraAdapter.load(folder: folder, into: store) }
    return (classifier, try SafetensorsFile(path: folder + "/reference.safetensors"))
}

func loraLogits(_ classifier: LlamaForSequenceClassification, _ reference: SafetensorsFile) throws -> Tensor {
    try classifier(inputIDs: reference.tensor("input_ids"), attentionMask: reference.tensor("attention_mask"))
}

/// Fixtures/llama-tiny-lora* (tools/make_lora_fixtures.py): peft 0.11.1's adapters on the tiny
/// Llama classifier, and what peft computes with them.
@Suite struct LoraParityTests {
    /// peft's adapter loaded onto the base: the logits within 1e-5 of peft's.
    @Test(arguments: ["llama-tiny-lora", "llama-tiny-lora-rslora"])
    func logitsMatchPeft(fixture: String) throws {
        let (classifier, reference) = try loraClassifier(fixture)
        let logits = try withNoGrad { try loraLogits(classifier, reference) }
        let difference = maxAbsDifference(try logits.floats(), try reference.tensor("logits").floats())
        #expect(difference < 1e-5, "\(fixture): logits differ by \(difference)")
        // The adapter matters: without it (B = 0, the base's head) the logits are elsewhere.
        let (bare, _) = try loraClassifier(fixture, loadAdapter: false)
        let bareLogits = try withNoGrad { try loraLogits(bare, reference) }
        #expect(maxAbsDifference(try bareLogits.floats(), try reference.tensor("logits").floats()) > 1e-2)
    }

    /// use_rslora: scaling alpha/√r (4/√8), not alpha/r; the regex target adapts exactly the
    /// modules it fully matches.
    @Test func rsloraScalingAndRegexTargets() throws {
        let (classifier, _) = try loraClassifier("llama-tiny-lora-rslora")
        let store = classifier.store
        #expect(Swift.abs((store.adapter?.scaling ?? 0) - 4 / 8.0.squareRoot()) < 1e-12)
        #expect(store.adaptedModules == [
            "model.layers.0.mlp.down_proj",
            "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.k_proj", "model.layers.1.self_attn.v_proj",
            "model.layers.1.self_attn.o_proj", "model.layers.1.mlp.down_proj",
        ])
    }

    /// Gradients of cross-entropy (fixed labels) for every trainable parameter, within 1e-4
    /// relative of peft's; the trainable set is exactly peft's (28 LoRA matrices and score.weight);
    /// the base gets no gradient.
    @Test func gradientsMatchPeft() throws {
        let (classifier, reference) = try loraClassifier("llama-tiny-lora")
        let store = classifier.store
        let loss = try loraLogits(classifier, reference).crossEntropy(target: reference.tensor("labels"))
        try loss.backward()
        let trainable = try store.trainableParameters
        let expectedNames = Set(reference.names.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        #expect(Set(trainable.map(\.name)) == expectedNames)
        #expect(trainable.count == 29)
        var worst = 0.0
        for (name, tensor) in trainable {
            let gradient = try #require(try tensor.grad, "\(name) has no gradient")
            let difference = relativeDifference(try gradient.floats(), try reference.tensor("grad." + name).floats())
            #expect(difference < 1e-4, "\(name): gradient differs by \(difference) (relative)")
            worst = Swift.max(worst, difference)
        }
        print("LoRA gradients: largest relative difference \(worst)")
        for (name, tensor) in store.parameters where !expectedNames.contains(name) {
            #expect(try !tensor.requiresGrad, "\(name) is trainable")
            #expect(try tensor.grad == nil, "\(name) has a gradient")
        }
    }

    /// Three torch.optim.AdamW steps (lr 1e-2, weight decay 0.01) on the trainable parameters:
    /// each within 1e-5 of peft's; every base parameter unchanged.
    @Test func adamWStepsMatchPeft() throws {
        let (classifier, reference) = try loraClassifier("llama-tiny-lora")
        #expect(try classifier.store.trainableParameters.count == 29)
        try expectAdamWStepsMatchPeft(store: classifier.store, reference: reference, label: "llama-tiny-lora") {
            try loraLogits(classifier, reference)
        }
    }

    /// merge: the plain checkpoint names (no lora_*), transformers' merged model's logits within
    /// 1e-5; the exported model.safetensors loads strictly into a plain classifier.
    @Test(arguments: ["llama-tiny-lora", "llama-tiny-lora-rslora"])
    func mergedWeightsGiveMergedLogits(fixture: String) throws {
        let (classifier, reference) = try loraClassifier(fixture)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-lora-merged-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try LoraAdapter.exportMerged(store: classifier.store, folder: folder)
        let exported = try SafetensorsFile(path: folder + "/model.safetensors")
        let base = try SafetensorsFile(path: try fixtureFolder("llama-tiny-cls") + "/model.safetensors")
        #expect(Set(exported.names) == Set(base.names))
        for name in base.names { #expect(exported.info(name)?.shape == base.info(name)?.shape, "\(name)") }
        let plain = try LlamaForSequenceClassification(config: classifier.config, store: try ParameterStore(seed: 2), labelCount: 3)
        try plain.store.load(try exported.tensors(), file: folder + "/model.safetensors")
        let logits = try withNoGrad { try loraLogits(plain, reference) }
        let difference = maxAbsDifference(try logits.floats(), try reference.tensor("merged_logits").floats())
        #expect(difference < 1e-5, "\(fixture): merged logits differ by \(difference)")
    }

    /// A bfloat16 base with float32 adapters and head: lora_A / lora_B / score float32, the rest
    /// bfloat16; logits within 5e-2 of peft's (bfloat16 rounding in the decoder: arena's fused
    /// attention against transformers' eager one; peft's own bfloat16 and float32 logits differ by 0.12).
    @Test func bfloat16BaseWithFloat32Adapters() throws {
        let (classifier, reference) = try loraClassifier("llama-tiny-lora-bf16", dtype: .bfloat16)
        for (name, tensor) in classifier.store.parameters {
            let expected: DType = name.contains(".lora_") || name == "score.weight" ? .float32 : .bfloat16
            #expect(try tensor.dtype == expected, "\(name)")
        }
        let logits = try withNoGrad { try loraLogits(classifier, reference) }
        #expect(try logits.dtype == .float32)
        let difference = maxAbsDifference(try logits.floats(), try reference.tensor("logits").floats())
        print("LoRA bfloat16: logits differ by \(difference)")
        #expect(difference < 5e-2, "bfloat16 logits differ by \(difference)")
    }

    /// The adapter saved by Swift has exactly peft's tensor names, shapes and dtypes and the keys
    /// of peft's adapter_config.json; read back into a fresh model it gives peft's logits.
    @Test func savedAdapterHasPeftsNamesAndReloads() throws {
        let peftFolder = try fixtureFolder("llama-tiny-lora")
        let (classifier, reference) = try loraClassifier("llama-tiny-lora")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-lora-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try #require(classifier.store.adapter)
        try LoraAdapter.save(store: classifier.store, config: config, folder: folder)
        let saved = try SafetensorsFile(path: folder + "/adapter_model.safetensors")
        let peft = try SafetensorsFile(path: peftFolder + "/adapter_model.safetensors")
        #expect(saved.names.sorted() == peft.names.sorted())
        #expect(saved.metadata == peft.metadata)
        for name in peft.names {
            #expect(saved.info(name)?.shape == peft.info(name)?.shape, "\(name)")
            #expect(saved.info(name)?.dtype == peft.info(name)?.dtype, "\(name)")
            #expect(try saved.tensor(name).floats() == peft.tensor(name).floats(), "\(name)")
        }
        func keys(_ path: String) throws -> [String] {
            let data = try #require(FileManager.default.contents(atPath: path))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys.sorted()
        }
        #expect(try keys(folder + "/adapter_config.json") == keys(peftFolder + "/adapter_config.json"))
        let reread = try LoraConfig.read(file: folder + "/adapter_config.json")
        #expect(reread.inferenceMode)
        #expect(reread.r == 4 && reread.loraAlpha == 8 && reread.modulesToSave == ["classifier", "score"] && reread.taskType == "SEQ_CLS")
        // No temporary files left beside the two.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["adapter_config.json", "adapter_model.safetensors"])

        let (fresh, _) = try loraClassifier("llama-tiny-lora", loadAdapter: false)
        try LoraAdapter.load(folder: folder, into: fresh.store)
        let logits = try withNoGrad { try loraLogits(fresh, reference) }
        #expect(maxAbsDifference(try logits.floats(), try reference.tensor("logits").floats()) < 1e-5)
    }
}

/// Builds the classifier of Fixtures/`base` through ``DecoderModelKind`` under the adapter plan of
/// `fixture`'s adapter_config.json, with the base weights and, when `loadAdapter`, peft's adapter.
func familyLoraClassifier(_ fixture: String, base: String, loadAdapter: Bool = true)
    throws -> (any DecoderSequenceClassifier, DecoderModelKind, SafetensorsFile)
{
    let baseFolder = try fixtureFolder(base)
    let folder = try fixtureFolder(fixture)
    let configFile = baseFolder + "/config.json"
    let kind = try DecoderModelKind.read(configFile: configFile)
    let store = try ParameterStore(seed: 1, adapter: try LoraConfig.read(file: folder + "/adapter_config.json"))
    let classifier = try kind.sequenceClassifier(configFile: configFile, store: store, labelCount: 3)
    try store.checkAdapterTargets()
    let adapterNames = Set(store.adapterParameters.map(\.name))
    try store.load(try Checkpoint.read(path: baseFolder + "/model.safetensors"), file: base + "/model.safetensors",
                   policy: LoadPolicy(allowMissing: { adapterNames.contains($0) }, allowUnused: kind.ignoredCheckpointTensors))
    if loadAdapter { try LoraAdapter.load(folder: folder, into: store) }
    return (classifier, kind, try SafetensorsFile(path: folder + "/reference.safetensors"))
}

func familyLoraLogits(_ classifier: any DecoderSequenceClassifier, _ reference: SafetensorsFile) throws -> Tensor {
    try classifier(inputIDs: reference.tensor("input_ids"), attentionMask: reference.tensor("attention_mask"))
}

/// Fixtures/{llama,qwen2,gemma,gemma2}-tiny-lora (tools/make_lora_fixtures.py; Gemma-2 under the
/// transformers 4.42.4 overlay): peft 0.11.1's r=4, alpha=8 adapter on every projection of each
/// family's tiny classifier, built through ``DecoderModelKind``, with llama-tiny-lora's tolerances.
@Suite struct LoraFamilyParityTests {
    static let families = [("llama-tiny-lora", "llama-tiny-cls"), ("qwen2-tiny-lora", "qwen2-tiny-cls"),
                           ("gemma-tiny-lora", "gemma-tiny-cls"), ("gemma2-tiny-lora", "gemma2-tiny-cls")]

    /// Logits within 1e-5 of peft's; without the adapter they are elsewhere.
    @Test(arguments: families)
    func logitsMatchPeft(fixture: String, base: String) throws {
        let (classifier, _, reference) = try familyLoraClassifier(fixture, base: base)
        let logits = try withNoGrad { try familyLoraLogits(classifier, reference) }
        let difference = maxAbsDifference(try logits.floats(), try reference.tensor("logits").floats())
        print("\(fixture): logits differ by \(difference)")
        #expect(difference < 1e-5, "\(fixture): logits differ by \(difference)")
        let (bare, _, _) = try familyLoraClassifier(fixture, base: base, loadAdapter: false)
        let bareLogits = try withNoGrad { try familyLoraLogits(bare, reference) }
        #expect(maxAbsDifference(try bareLogits.floats(), try reference.tensor("logits").floats()) > 1e-2)
    }

    /// Gradients of cross-entropy for every lora_A / lora_B and score.weight within 1e-4 relative;
    /// the trainable set is exactly peft's; the base gets no gradient.
    @Test(arguments: families)
    func gradientsMatchPeft(fixture: String, base: String) throws {
        let (classifier, _, reference) = try familyLoraClassifier(fixture, base: base)
        let store = classifier.store
        try familyLoraLogits(classifier, reference).crossEntropy(target: reference.tensor("labels")).backward()
        let trainable = try store.trainableParameters
        let expectedNames = Set(reference.names.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        #expect(Set(trainable.map(\.name)) == expectedNames)
        #expect(trainable.count == 29)
        var worst = 0.0
        for (name, tensor) in trainable {
            let gradient = try #require(try tensor.grad, "\(name) has no gradient")
            let difference = relativeDifference(try gradient.floats(), try reference.tensor("grad." + name).floats())
            #expect(difference < 1e-4, "\(fixture) \(name): gradient differs by \(difference) (relative)")
            worst = Swift.max(worst, difference)
        }
        print("\(fixture): gradients, largest relative difference \(worst)")
        for (name, tensor) in store.parameters where !expectedNames.contains(name) {
            #expect(try !tensor.requiresGrad, "\(name) is trainable")
            #expect(try tensor.grad == nil, "\(name) has a gradient")
        }
    }

    /// Three AdamW steps (lr 1e-2, weight decay 0.01): every trainable parameter within 1e-5 of
    /// peft's, every base parameter unchanged.
    @Test(arguments: families)
    func adamWStepsMatchPeft(fixture: String, base: String) throws {
        let (classifier, _, reference) = try familyLoraClassifier(fixture, base: base)
        try expectAdamWStepsMatchPeft(store: classifier.store, reference: reference, label: fixture) {
            try familyLoraLogits(classifier, reference)
        }
    }

    /// The merged export has the base checkpoint's names and shapes, loads strictly into a plain
    /// classifier of the family and gives peft's merge_and_unload logits within 1e-5.
    @Test(arguments: families)
    func mergedWeightsGiveMergedLogits(fixture: String, base: String) throws {
        let (classifier, kind, reference) = try familyLoraClassifier(fixture, base: base)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-lora-merged-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try LoraAdapter.exportMerged(store: classifier.store, folder: folder)
        let exported = try SafetensorsFile(path: folder + "/model.safetensors")
        let baseWeights = try SafetensorsFile(path: try fixtureFolder(base) + "/model.safetensors")
        #expect(Set(exported.names) == Set(baseWeights.names))
        let plain = try kind.sequenceClassifier(configFile: try fixtureFolder(base) + "/config.json",
                                                store: try ParameterStore(seed: 2), labelCount: 3)
        try plain.store.load(try exported.tensors(), file: folder + "/model.safetensors")
        let logits = try withNoGrad { try familyLoraLogits(plain, reference) }
        let difference = maxAbsDifference(try logits.floats(), try reference.tensor("merged_logits").floats())
        #expect(difference < 1e-5, "\(fixture): merged logits differ by \(difference)")
    }

    /// The adapter saved by Swift has peft's tensor names, shapes and values; read back into a
    /// fresh model it gives peft's logits.
    @Test(arguments: families)
    func savedAdapterMatchesPeftsAndReloads(fixture: String, base: String) throws {
        let (classifier, _, reference) = try familyLoraClassifier(fixture, base: base)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-lora-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try LoraAdapter.save(store: classifier.store, config: try #require(classifier.store.adapter), folder: folder)
        let saved = try SafetensorsFile(path: folder + "/adapter_model.safetensors")
        let peft = try SafetensorsFile(path: try fixtureFolder(fixture) + "/adapter_model.safetensors")
        #expect(saved.names.sorted() == peft.names.sorted())
        for name in peft.names {
            #expect(saved.info(name)?.shape == peft.info(name)?.shape, "\(name)")
            #expect(try saved.tensor(name).floats() == peft.tensor(name).floats(), "\(name)")
        }
        let (fresh, _, _) = try familyLoraClassifier(fixture, base: base, loadAdapter: false)
        try LoraAdapter.load(folder: folder, into: fresh.store)
        let logits = try withNoGrad { try familyLoraLogits(fresh, reference) }
        #expect(maxAbsDifference(try logits.floats(), try reference.tensor("logits").floats()) < 1e-5)
    }
}

/// Three AdamW steps (lr 1e-2, weight decay 0.01) on the cross-entropy of `logits()` against the
/// fixture's labels: every trainable parameter within 1e-5 of peft's (`step3.<name>`), every
/// frozen one unchanged.
func expectAdamWStepsMatchPeft(store: ParameterStore, reference: SafetensorsFile, label: String, logits: () throws -> Tensor) throws {
    let frozen = try store.parameters.filter { try !$0.tensor.requiresGrad }.map { ($0.name, try $0.tensor.clone()) }
    let trainable = try store.trainableParameters
    #expect(frozen.count == store.parameters.count - trainable.count)
    let optimizer = try Optimizer(.adamW(), groups: [ParameterGroup(parameters: trainable.map(\.tensor), learningRate: 1e-2, weightDecay: 0.01)])
    for _ in 0..<3 {
        try optimizer.zeroGrad()
        try logits().crossEntropy(target: reference.tensor("labels")).backward()
        try optimizer.step()
    }
    var worst = 0.0
    for (name, tensor) in trainable {
        let difference = maxAbsDifference(try tensor.floats(), try reference.tensor("step3." + name).floats())
        #expect(difference < 1e-5, "\(label) \(name): differs by \(difference) after 3 steps")
        worst = Swift.max(worst, difference)
    }
    print("\(label): after 3 AdamW steps, largest difference \(worst)")
    for (name, before) in frozen {
        let after = try #require(store.tensor(named: name))
        #expect(try after.floats() == before.floats(), "\(name) changed")
    }
}
