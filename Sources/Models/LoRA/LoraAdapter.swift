// The adapter folder of peft 0.11.1's PeftModel.save_pretrained / from_pretrained
// (https://github.com/huggingface/peft/blob/v0.11.1/src/peft/utils/save_and_load.py:
// get_peft_model_state_dict, set_peft_model_state_dict) and LoraModel.merge_and_unload
// (https://github.com/huggingface/peft/blob/v0.11.1/src/peft/tuners/lora/model.py).
import Foundation
import Torch

/// A LoRA adapter as files: adapter_config.json (``LoraConfig``) and adapter_model.safetensors.
///
/// Tensor names are peft's saved names: `base_model.model.` + the store's name, which is peft's
/// module name without the adapter name (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`),
/// and the modules to save under their own names (`base_model.model.score.weight`, not
/// `score.modules_to_save.default.weight`). Metadata `{"format": "pt"}` as peft writes.
public enum LoraAdapter {
    public static let configFile = "adapter_config.json"
    public static let weightsFile = "adapter_model.safetensors"
    /// The prefix peft's PeftModel puts before the base model's names.
    public static let namePrefix = "base_model.model."

    /// Writes `store`'s adapter (``ParameterStore/adapterParameters``, in their dtype, float32)
    /// and `config` into `folder` (created if needed), each file atomically (written under a
    /// temporary name, then renamed). `config` is written with `inference_mode` true, as peft saves it.
    public static func save(store: ParameterStore, config: LoraConfig, folder: String) throws {
        guard let plan = store.adapter else {
            throw ModelError.invalidInput("LoraAdapter.save: the store has no adapter plan (build it with ParameterStore(adapter:))")
        }
        try config.validate(file: folder + "/" + configFile)
        try checkSamePlan(config, plan, file: folder + "/" + configFile)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let tensors = try store.adapterParameters.map { (name: namePrefix + $0.name, tensor: try $0.tensor.detach()) }
        try Safetensors.write(tensors, metadata: ["format": "pt"], to: folder + "/" + weightsFile)
        var saved = config
        saved.inferenceMode = true
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = folder + "/" + configFile
        do {
            try encoder.encode(saved).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ModelError.invalidInput("\(path): cannot be written: \(error.localizedDescription)")
        }
    }

    /// Reads `folder`'s adapter onto `store`, a base model built with the same plan (the same
    /// `r`, `lora_alpha`, `use_rslora`, `target_modules`, `modules_to_save`; checked, naming the
    /// field). Strict, as ``ParameterStore/load(_:file:prefix:policy:)``: every adapter parameter of
    /// the model present, every file tensor used, every shape equal, all reported at once in one
    /// ``ModelError/weightMismatch(file:missing:unused:wrongShape:)`` naming the tensors (an
    /// adapter for another base). The base parameters are left as they are. Returns the config read.
    @discardableResult
    public static func load(folder: String, into store: ParameterStore) throws -> LoraConfig {
        let configPath = folder + "/" + configFile
        let config = try LoraConfig.read(file: configPath)
        guard let plan = store.adapter else {
            throw ModelError.invalidInput("LoraAdapter.load: the store has no adapter plan (build it with ParameterStore(adapter:) from \(configPath))")
        }
        try store.checkAdapterTargets(file: configPath)
        try checkSamePlan(config, plan, file: configPath)
        let weightsPath = folder + "/" + weightsFile
        let weights = try Safetensors.read(path: weightsPath)
        let adapterNames = Set(store.adapterParameters.map(\.name))
        var renamed: [String: Tensor] = [:]
        for (name, tensor) in weights {
            // Only adapter parameters lose the prefix: any other tensor (a base weight, a name
            // without the prefix) keeps the file's name, which the model lacks, so it is reported unused.
            let stripped = name.hasPrefix(namePrefix) ? String(name.dropFirst(namePrefix.count)) : name
            renamed[adapterNames.contains(stripped) ? stripped : name] = tensor
        }
        // Errors name the tensors as the file spells them.
        do {
            try store.load(renamed, file: weightsPath, policy: LoadPolicy(allowMissing: { !adapterNames.contains($0) }))
        } catch let ModelError.weightMismatch(file, missing, unused, wrongShape) {
            throw ModelError.weightMismatch(
                file: file, missing: missing.map { namePrefix + $0 }, unused: unused,
                wrongShape: wrongShape.map { ShapeMismatch(name: namePrefix + $0.name, expected: $0.expected, found: $0.found) })
        }
        return config
    }

    /// The merged model's weights under the plain checkpoint names (`model.layers.0.self_attn.q_proj.weight`,
    /// `score.weight`, no `lora_*`): each adapted Linear's `W + scaling · B·A` (computed in the
    /// adapter's float32, added in W's dtype), every other parameter as it is — peft's
    /// `merge_and_unload`. The store is not changed (its Linears keep their branches).
    public static func merge(store: ParameterStore) throws -> [(name: String, tensor: Tensor)] {
        guard let plan = store.adapter else {
            throw ModelError.invalidInput("LoraAdapter.merge: the store has no adapter plan")
        }
        let adapted = Set(store.adaptedModules)
        return try withNoGrad {
            try store.parameters.compactMap { name, tensor -> (name: String, tensor: Tensor)? in
                let components = name.split(separator: ".")
                if components.count >= 2, ["lora_A", "lora_B"].contains(components[components.count - 2]) { return nil }
                let module = components.dropLast().joined(separator: ".")
                guard components.last == "weight", adapted.contains(module),
                      let a = store.tensor(named: module + ".lora_A.weight"), let b = store.tensor(named: module + ".lora_B.weight")
                else { return (name, try tensor.detach()) }
                let weightType = try tensor.dtype
                let delta = try b.matmul(a) * plan.scaling
                return (name, try tensor.detach() + (try delta.dtype == weightType ? delta : delta.to(weightType)))
            }
        }
    }

    /// Writes ``merge(store:)`` as `folder`/model.safetensors (atomically, metadata
    /// `{"format": "pt"}`), the file transformers' `from_pretrained` reads beside the base config.json.
    public static func exportMerged(store: ParameterStore, folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Safetensors.write(merge(store: store), metadata: ["format": "pt"], to: folder + "/model.safetensors")
    }

    /// `config` (a file's) against the `plan` the model was built with: what changes the
    /// parameters or the computation must agree, else ``ModelError/invalidConfig`` naming the field.
    static func checkSamePlan(_ config: LoraConfig, _ plan: LoraConfig, file: String) throws {
        let fields: [(field: String, file: String, model: String, same: Bool)] = [
            ("r", "\(config.r)", "\(plan.r)", config.r == plan.r),
            ("lora_alpha", "\(config.loraAlpha)", "\(plan.loraAlpha)", config.loraAlpha == plan.loraAlpha),
            ("use_rslora", "\(config.useRslora)", "\(plan.useRslora)", config.useRslora == plan.useRslora),
            ("target_modules", "\(config.targetModules.map { "\($0)" } ?? "null")", "\(plan.targetModules.map { "\($0)" } ?? "null")",
             sameTargets(config.targetModules, plan.targetModules)),
            ("modules_to_save", "\(config.modulesToSave ?? [])", "\(plan.modulesToSave ?? [])",
             Set(config.modulesToSave ?? []) == Set(plan.modulesToSave ?? [])),
        ]
        if let different = fields.first(where: { !$0.same }) {
            throw ModelError.invalidConfig(file: file, field: different.field,
                                           reason: "\(different.file) differs from the model's adapter plan (\(different.model))")
        }
    }

    /// Targets compared as sets (peft stores a list as a set, so its saved order varies).
    static func sameTargets(_ lhs: LoraConfig.TargetModules?, _ rhs: LoraConfig.TargetModules?) -> Bool {
        switch (lhs, rhs) {
        case let (.names(l), .names(r)): return Set(l) == Set(r)
        default: return lhs == rhs
        }
    }
}
