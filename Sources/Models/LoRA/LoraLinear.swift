// Mirrors peft 0.11.1's lora.Linear
// (https://github.com/huggingface/peft/blob/v0.11.1/src/peft/tuners/lora/layer.py: LoraLayer.update_layer,
// reset_lora_parameters, Linear.forward) and the target rule of BaseTuner.inject_adapter /
// check_target_module_exists (https://github.com/huggingface/peft/blob/v0.11.1/src/peft/tuners/tuners_utils.py).
// The branch's parameters are named as peft's state dict names them without the adapter name:
// `<module>.lora_A.weight` [r, in] and `<module>.lora_B.weight` [out, r].
import Torch

/// The LoRA branch of a targeted ``Linear``: `result + lora_B(lora_A(dropout(x))) · scaling`, the
/// adapter computed in its own dtype (float32) and the sum cast back to the base output's dtype.
public struct LoraBranch {
    /// `lora_A.weight` [r, in]: kaiming-uniform(a=√5), as nn.Linear's default (bound 1/√in).
    public let a: Tensor
    /// `lora_B.weight` [out, r]: zeros, so a new adapter leaves the model unchanged.
    public let b: Tensor
    public let scaling: Double
    let dropout: Double
    let path: ParameterPath

    /// The branch for the module at `path`, or nil when the store's plan does not target it (no
    /// plan, not a target, or a module to save, which peft wraps whole instead). Records the
    /// module for ``ParameterStore/checkAdapterTargets(file:)``.
    init?(_ path: ParameterPath, inputSize: Int, outputSize: Int) throws {
        let store = path.store
        guard let plan = store.adapter else { return nil }
        store.linearModules.append(path.name)
        guard !plan.savesWhole(module: path.name), try plan.targets(module: path.name) else { return nil }
        // nn.Linear's default weight init, kaiming_uniform_(a=√5): uniform with bound 1/√fan_in.
        // init_lora_weights false keeps it for B too (peft returns before zeroing B).
        a = try path.child("lora_A").parameter("weight", shape: [plan.r, inputSize],
                                               initialization: .uniform(bound: 1 / Double(inputSize).squareRoot()), dtype: .float32)
        b = try path.child("lora_B").parameter("weight", shape: [outputSize, plan.r],
                                               initialization: plan.initLoraWeights ? .zeros : .uniform(bound: 1 / Double(plan.r).squareRoot()),
                                               dtype: .float32)
        scaling = plan.scaling
        dropout = plan.loraDropout
        self.path = path
        store.adaptedModules.append(path.name)
    }

    /// `base`: the frozen Linear's output for `x`.
    public func callAsFunction(_ x: Tensor, base: Tensor) throws -> Tensor {
        let resultType = try base.dtype
        let input = try x.dtype == a.dtype ? x : x.to(a.dtype)
        let update = try path.dropout(input, probability: dropout).linear(weight: a).linear(weight: b) * scaling
        let sum = try base + update
        return try sum.dtype == resultType ? sum : sum.to(resultType)
    }

    /// `scaling · B·A` [out, in] in the adapter's dtype (peft's `get_delta_weight`).
    public func deltaWeight() throws -> Tensor {
        try b.matmul(a) * scaling
    }
}

extension LoraConfig {
    /// Whether the parameter `name` is trained under this plan: a LoRA matrix
    /// (`<module>.lora_A.weight`, `<module>.lora_B.weight`) or a parameter of a module to save
    /// (peft wraps that module whole, so everything beneath it).
    public func isAdapterParameter(_ name: String) -> Bool {
        let components = name.split(separator: ".").map(String.init)
        guard components.count >= 2 else { return false }
        if components[components.count - 2] == "lora_A" || components[components.count - 2] == "lora_B" { return true }
        return (1..<components.count).contains { savesWhole(module: components[0..<$0].joined(separator: ".")) }
    }
}

extension ParameterStore {
    /// The parameters an adapter file holds: the LoRA matrices and the modules to save, in
    /// creation order (empty without a plan).
    public var adapterParameters: [(name: String, tensor: Tensor)] {
        guard let adapter else { return [] }
        return parameters.filter { adapter.isAdapterParameter($0.name) }
    }

    /// After the model is built: every target names at least one ``Linear`` (a list), or the
    /// pattern matches one (a string), else ``ModelError/adapterTargetsNotFound(file:targets:linearModules:)``.
    /// Stricter than peft, which raises "Target modules ... not found in the base model" only when
    /// no target matches at all: a misspelt name among several is an error here too.
    public func checkAdapterTargets(file: String = "adapter_config.json") throws {
        guard let adapter, let targets = adapter.targetModules else { return }
        let missing: [String]
        switch targets {
        case .names(let names):
            missing = names.filter { name in !adaptedModules.contains { $0 == name || $0.hasSuffix("." + name) } }
        case .pattern(let pattern):
            missing = adaptedModules.isEmpty ? [pattern] : []
        }
        guard missing.isEmpty else {
            throw ModelError.adapterTargetsNotFound(file: file, targets: missing, linearModules: linearModules)
        }
    }
}
