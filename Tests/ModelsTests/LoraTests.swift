import Foundation
import Testing
@testable import Models
import Torch

/// The LoRA mechanism (Sources/Models/LoRA): adapter_config.json, peft's target rule, a fresh
/// adapter, what is refused.
@Suite struct LoraTests {
    func decode(_ json: String) throws -> LoraConfig {
        try JSONDecoder().decode(LoraConfig.self, from: Data(json.utf8))
    }

    let tinyTargets = #"["q_proj","k_proj","v_proj","o_proj","gate_proj","up_proj","down_proj"]"#

    /// peft's adapter_config.json decodes with peft's field names; an integral alpha is written back as an integer.
    @Test func configReadsPeftsFile() throws {
        let config = try LoraConfig.read(file: try fixtureFolder("llama-tiny-lora") + "/adapter_config.json")
        #expect(config.r == 4 && config.loraAlpha == 8 && config.loraDropout == 0)
        #expect(config.scaling == 2)
        #expect(config.modulesToSave == ["classifier", "score"])
        #expect(config.taskType == "SEQ_CLS" && config.peftType == "LORA" && config.bias == "none")
        guard case .names(let names)? = config.targetModules else { Issue.record("target_modules is not a list"); return }
        #expect(Set(names) == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        let json = try #require(String(data: try JSONEncoder().encode(config), encoding: .utf8))
        #expect(json.contains(#""lora_alpha":8,"#) || json.contains(#""lora_alpha":8}"#))
        let rslora = try LoraConfig.read(file: try fixtureFolder("llama-tiny-lora-rslora") + "/adapter_config.json")
        #expect(rslora.useRslora)
        #expect(Swift.abs(rslora.scaling - 4 / 8.0.squareRoot()) < 1e-12)
        guard case .pattern = rslora.targetModules else { Issue.record("target_modules is not a pattern"); return }
    }

    /// peft's check_target_module_exists: a list entry equals the name or is its last dotted
    /// part(s); a string must match the whole name.
    @Test func targetRuleIsPefts() throws {
        let list = LoraConfig(r: 4, loraAlpha: 8, targetModules: .names(["q_proj", "mlp.up_proj"]))
        #expect(try list.targets(module: "model.layers.0.self_attn.q_proj"))
        #expect(try list.targets(module: "q_proj"))
        #expect(try list.targets(module: "model.layers.3.mlp.up_proj"))
        #expect(try !list.targets(module: "model.layers.0.self_attn.xq_proj"))
        #expect(try !list.targets(module: "model.layers.0.self_attn.q_proj.inner"))
        #expect(try !list.targets(module: "model.layers.0.up_proj"))
        let pattern = LoraConfig(r: 4, loraAlpha: 8, targetModules: .pattern(#".*\.(q|v)_proj"#))
        #expect(try pattern.targets(module: "model.layers.0.self_attn.v_proj"))
        #expect(try !pattern.targets(module: "model.layers.0.self_attn.k_proj"))
        #expect(try !LoraConfig(r: 4, loraAlpha: 8, targetModules: .pattern("q_proj")).targets(module: "model.layers.0.self_attn.q_proj"))
        // modules_to_save: the name ends with an entry (no dot, as peft).
        let head = LoraConfig.sequenceClassification(r: 4, loraAlpha: 8, targetModules: .names(["q_proj"]))
        #expect(head.isAdapterParameter("score.weight"))
        #expect(head.isAdapterParameter("model.layers.0.self_attn.q_proj.lora_A.weight"))
        #expect(!head.isAdapterParameter("model.layers.0.self_attn.q_proj.weight"))
        #expect(!head.isAdapterParameter("model.norm.weight"))
    }

    /// A new adapter (init_lora_weights true): lora_A kaiming-uniform within 1/√in, lora_B zero,
    /// so the logits are the base model's; the base frozen, the trainable set the LoRA matrices
    /// and the head; dropout follows the store's training flag.
    @Test func freshAdapterStartsAsTheBase() throws {
        let config = try decode(#"{"r": 4, "lora_alpha": 8, "lora_dropout": 0.5, "task_type": "SEQ_CLS", "modules_to_save": ["classifier", "score"], "target_modules": \#(tinyTargets)}"#)
        let (classifier, reference) = try loraClassifier("llama-tiny-lora", loadAdapter: false, config: config)
        let store = classifier.store
        #expect(store.adaptedModules.count == 14)
        #expect(store.linearModules.count == 15)
        let a = try #require(store.tensor(named: "model.layers.1.mlp.down_proj.lora_A.weight"))
        #expect(try a.shape == [4, 64])
        let bound = Float(1 / 64.0.squareRoot())
        let values = try a.floats()
        #expect(values.allSatisfy { Swift.abs($0) <= bound } && values.contains { Swift.abs($0) > bound / 2 })
        #expect(try store.tensor(named: "model.layers.1.mlp.down_proj.lora_B.weight")?.floats().allSatisfy { $0 == 0 } == true)
        #expect(try store.tensor(named: "model.layers.0.self_attn.q_proj.lora_B.weight")?.shape == [32, 4])
        #expect(try store.trainableParameters.count == 29)
        #expect(try store.tensor(named: "model.layers.0.self_attn.q_proj.weight")?.requiresGrad == false)
        #expect(try store.tensor(named: "model.layers.0.self_attn.q_proj.bias")?.requiresGrad == false)
        #expect(try store.tensor(named: "model.embed_tokens.weight")?.requiresGrad == false)
        #expect(try store.tensor(named: "score.weight")?.requiresGrad == true)

        let baseLogits = try fixtureFolder("llama-tiny-cls") + "/reference.safetensors"
        let logits = try withNoGrad { try loraLogits(classifier, reference) }
        #expect(maxAbsDifference(try logits.floats(), try SafetensorsFile(path: baseLogits).tensor("logits").floats()) < 1e-5)
        // With B non-zero, dropout 0.5 on the adapter's input changes the output only in training.
        try withNoGrad { try store.tensor(named: "model.layers.0.self_attn.q_proj.lora_B.weight")?.fill(0.5) }
        let evaluated = try withNoGrad { try loraLogits(classifier, reference).floats() }
        #expect(try withNoGrad { try loraLogits(classifier, reference).floats() } == evaluated)
        store.training = true
        let trained = try withNoGrad { try loraLogits(classifier, reference).floats() }
        #expect(trained != evaluated)
    }

    /// A target that names no Linear is an error naming it and listing the model's Linears.
    @Test func unknownTargetModuleIsNamed() throws {
        let config = try decode(#"{"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "qkv_proj"]}"#)
        let store = try ParameterStore(adapter: config)
        let llama = try LlamaConfig.read(file: try fixtureFolder("llama-tiny-cls") + "/config.json")
        _ = try LlamaForSequenceClassification(config: llama, store: store, labelCount: 3)
        do {
            try store.checkAdapterTargets()
            Issue.record("an unknown target was accepted")
        } catch let error as ModelError {
            guard case let .adapterTargetsNotFound(_, targets, linearModules) = error else { Issue.record("\(error)"); return }
            #expect(targets == ["qkv_proj"])
            #expect(linearModules.contains("model.layers.1.mlp.down_proj") && linearModules.contains("score"))
            #expect(error.description.contains("\"qkv_proj\" not found in the base model"))
            #expect(error.description.contains("model.layers.*.self_attn.q_proj"))
        }
        let pattern = try decode(#"{"r": 4, "lora_alpha": 8, "target_modules": ".*\\.query"}"#)
        let patternStore = try ParameterStore(adapter: pattern)
        _ = try LlamaForSequenceClassification(config: llama, store: patternStore, labelCount: 3)
        #expect(throws: ModelError.self) { try patternStore.checkAdapterTargets() }
    }

    /// An adapter for another base (intermediate_size 48, not 64): the wrong shapes named with
    /// the file's names and both shapes; nothing is copied.
    @Test func adapterOfAnotherBaseIsRefused() throws {
        let folder = try fixtureFolder("llama-tiny-lora")
        let plan = try LoraConfig.read(file: folder + "/adapter_config.json")
        var llama = try LlamaConfig.read(file: try fixtureFolder("llama-tiny-cls") + "/config.json")
        llama.intermediateSize = 48
        let store = try ParameterStore(adapter: plan)
        _ = try LlamaForSequenceClassification(config: llama, store: store, labelCount: 3)
        let before = try #require(store.tensor(named: "model.layers.0.self_attn.q_proj.lora_A.weight")).floats()
        do {
            try LoraAdapter.load(folder: folder, into: store)
            Issue.record("an adapter of another base was loaded")
        } catch let error as ModelError {
            guard case let .weightMismatch(_, missing, unused, wrongShape) = error else { Issue.record("\(error)"); return }
            #expect(missing.isEmpty && unused.isEmpty)
            let gate = wrongShape.first { $0.name == "base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight" }
            #expect(gate == ShapeMismatch(name: "base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight", expected: [48, 4], found: [64, 4]))
            #expect(wrongShape.contains { $0.name == "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight" && $0.expected == [4, 48] })
            #expect(error.description.contains("gate_proj.lora_B.weight (model [48, 4], file [64, 4])"))
        }
        #expect(try store.tensor(named: "model.layers.0.self_attn.q_proj.lora_A.weight")?.floats() == before)
        // Another plan (r 8) is named by field before any tensor is read.
        var other = plan
        other.r = 8
        let otherStore = try ParameterStore(adapter: other)
        _ = try LlamaForSequenceClassification(config: try LlamaConfig.read(file: try fixtureFolder("llama-tiny-cls") + "/config.json"),
                                               store: otherStore, labelCount: 3)
        #expect(throws: ModelError.invalidConfig(file: folder + "/adapter_config.json", field: "r", reason: "4 differs from the model's adapter plan (8)")) {
            try LoraAdapter.load(folder: folder, into: otherStore)
        }
        // Nor is a config that is not the store's plan written beside its tensors.
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("arena-lora-\(UUID().uuidString)").path
        #expect(throws: ModelError.self) { try LoraAdapter.save(store: otherStore, config: plan, folder: target) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    /// What arena does not implement is refused by field name; impossible values are invalid.
    @Test(arguments: [
        (#""bias": "all""#, "bias", true),
        (#""bias": "lora_only""#, "bias", true),
        (#""layers_to_transform": [0]"#, "layers_to_transform", true),
        (#""layers_pattern": "layers""#, "layers_pattern", true),
        (#""rank_pattern": {"q_proj": 8}"#, "rank_pattern", true),
        (#""alpha_pattern": {"q_proj": 16}"#, "alpha_pattern", true),
        (#""fan_in_fan_out": true"#, "fan_in_fan_out", true),
        (#""use_dora": true"#, "use_dora", true),
        (#""init_lora_weights": "gaussian""#, "init_lora_weights", true),
        (#""layer_replication": [[0, 1]]"#, "layer_replication", true),
        (#""peft_type": "IA3""#, "peft_type", true),
        (#""r": 0"#, "r", false),
        (#""lora_alpha": 0"#, "lora_alpha", false),
        (#""lora_dropout": 1.0"#, "lora_dropout", false),
        (#""lora_dropout": -0.1"#, "lora_dropout", false),
        (#""target_modules": "(""#, "target_modules", false),
    ])
    func unsupportedFieldIsNamed(field json: String, name: String, unsupported: Bool) throws {
        // The field given replaces the valid base's (a JSON object with a repeated key is ambiguous).
        var fields = try #require(try JSONSerialization.jsonObject(with: Data("{\"r\": 4, \"lora_alpha\": 8, \"target_modules\": \(tinyTargets)}".utf8)) as? [String: Any])
        let override = try #require(try JSONSerialization.jsonObject(with: Data("{\(json)}".utf8)) as? [String: Any])
        fields.merge(override) { _, new in new }
        let config = try JSONDecoder().decode(LoraConfig.self, from: try JSONSerialization.data(withJSONObject: fields))
        do {
            try config.validate(file: "adapter_config.json")
            Issue.record("\(json) was accepted")
        } catch let error as ModelError {
            switch error {
            case let .unsupportedConfig(_, field, _) where unsupported, let .invalidConfig(_, field, _) where !unsupported:
                #expect(field == name)
            default:
                Issue.record("\(json): \(error)")
            }
        }
        #expect(throws: ModelError.self) { _ = try ParameterStore(adapter: config) }
    }

    /// The null and empty values peft writes for what is not used are accepted.
    @Test func peftsDefaultsAreAccepted() throws {
        let config = try decode(#"{"r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], "layers_to_transform": null, "layers_pattern": null, "loftq_config": {}, "megatron_config": null, "layer_replication": null, "rank_pattern": {}, "alpha_pattern": {}, "init_lora_weights": true, "auto_mapping": null}"#)
        try config.validate(file: "adapter_config.json")
    }
}
