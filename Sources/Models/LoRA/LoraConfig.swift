import Foundation

/// peft 0.11.1's `LoraConfig` as adapter_config.json holds it, with peft's field names
/// (https://github.com/huggingface/peft/blob/v0.11.1/src/peft/tuners/lora/config.py).
///
/// What arena implements: LoRA on `Linear` modules chosen by `target_modules` (a list of module
/// names, or one regular expression matched against the whole module name), scaling
/// `lora_alpha / r` (or `lora_alpha / sqrt(r)` with `use_rslora`), dropout on the adapter's input,
/// `modules_to_save` trained whole. ``validate(file:)`` refuses by name what it does not:
/// `bias` other than "none", `fan_in_fan_out`, `layers_to_transform` / `layers_pattern`,
/// non-empty `rank_pattern` / `alpha_pattern`, `use_dora`, `layer_replication`, `loftq_config`,
/// `megatron_config`, and `init_lora_weights` other than true / false.
public struct LoraConfig: Codable, Equatable, Sendable {
    /// `target_modules`: names (a module is targeted when its name equals one or ends with
    /// "." + one) or a regular expression (targeted when it matches the whole name).
    public enum TargetModules: Codable, Equatable, Sendable {
        case names([String])
        case pattern(String)

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let pattern = try? container.decode(String.self) {
                self = .pattern(pattern)
            } else {
                self = .names(try container.decode([String].self))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .names(let names): try container.encode(names)
            case .pattern(let pattern): try container.encode(pattern)
            }
        }
    }

    public var r = 8
    public var loraAlpha = 8.0
    public var loraDropout = 0.0
    public var targetModules: TargetModules?
    public var bias = "none"
    /// Modules trained and saved whole (peft adds ["classifier", "score"] for task_type SEQ_CLS);
    /// a module is one when its name ends with an entry (peft's `key.endswith(...)`, no dot).
    public var modulesToSave: [String]?
    public var taskType: String?
    public var useRslora = false
    public var fanInFanOut = false
    /// true: `lora_A` kaiming-uniform(a=√5) as nn.Linear's default, `lora_B` zeros (the adapter
    /// starts as the identity); false: both random (peft's "not recommended" option).
    public var initLoraWeights = true
    public var peftType = "LORA"
    public var baseModelNameOrPath: String?
    public var revision: String?
    public var inferenceMode = false
    public var useDora = false
    public var rankPattern: [String: Int] = [:]
    public var alphaPattern: [String: Double] = [:]
    public var megatronCore = "megatron.core"
    /// Fields arena refuses when set; kept to name them (``validate(file:)``).
    var setButUnsupported: [String] = []
    var invalidInitialization: String?

    public init(r: Int = 8, loraAlpha: Double = 8, loraDropout: Double = 0, targetModules: TargetModules? = nil,
                modulesToSave: [String]? = nil, taskType: String? = nil, useRslora: Bool = false) {
        self.r = r
        self.loraAlpha = loraAlpha
        self.loraDropout = loraDropout
        self.targetModules = targetModules
        self.modulesToSave = modulesToSave
        self.taskType = taskType
        self.useRslora = useRslora
    }

    /// peft's config for a sequence classifier (`task_type="SEQ_CLS"`): the head's modules
    /// ("classifier", "score") trained whole, as `PeftModelForSequenceClassification` adds them.
    public static func sequenceClassification(r: Int, loraAlpha: Double, loraDropout: Double = 0,
                                              targetModules: TargetModules, useRslora: Bool = false) -> LoraConfig {
        LoraConfig(r: r, loraAlpha: loraAlpha, loraDropout: loraDropout, targetModules: targetModules,
                   modulesToSave: ["classifier", "score"], taskType: "SEQ_CLS", useRslora: useRslora)
    }

    /// `lora_alpha / r`, or `lora_alpha / sqrt(r)` with `use_rslora` (peft's `update_layer`).
    public var scaling: Double {
        useRslora ? loraAlpha / Double(r).squareRoot() : loraAlpha / Double(r)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case r
        case loraAlpha = "lora_alpha"
        case loraDropout = "lora_dropout"
        case targetModules = "target_modules"
        case bias
        case modulesToSave = "modules_to_save"
        case taskType = "task_type"
        case useRslora = "use_rslora"
        case fanInFanOut = "fan_in_fan_out"
        case initLoraWeights = "init_lora_weights"
        case layersToTransform = "layers_to_transform"
        case layersPattern = "layers_pattern"
        case peftType = "peft_type"
        case baseModelNameOrPath = "base_model_name_or_path"
        case revision
        case inferenceMode = "inference_mode"
        case rankPattern = "rank_pattern"
        case alphaPattern = "alpha_pattern"
        case useDora = "use_dora"
        case layerReplication = "layer_replication"
        case loftqConfig = "loftq_config"
        case megatronConfig = "megatron_config"
        case megatronCore = "megatron_core"
        case autoMapping = "auto_mapping"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var config = LoraConfig()
        config.r = try c.decodeIfPresent(Int.self, forKey: .r) ?? config.r
        config.loraAlpha = try c.decodeIfPresent(Double.self, forKey: .loraAlpha) ?? config.loraAlpha
        config.loraDropout = try c.decodeIfPresent(Double.self, forKey: .loraDropout) ?? config.loraDropout
        config.targetModules = try c.decodeIfPresent(TargetModules.self, forKey: .targetModules)
        config.bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? config.bias
        config.modulesToSave = try c.decodeIfPresent([String].self, forKey: .modulesToSave)
        config.taskType = try c.decodeIfPresent(String.self, forKey: .taskType)
        config.useRslora = try c.decodeIfPresent(Bool.self, forKey: .useRslora) ?? config.useRslora
        config.fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? config.fanInFanOut
        // init_lora_weights: a bool, or one of peft's named schemes ("gaussian", "pissa", "loftq").
        if let flag = try? c.decodeIfPresent(Bool.self, forKey: .initLoraWeights) {
            config.initLoraWeights = flag
        } else if let scheme = try? c.decodeIfPresent(String.self, forKey: .initLoraWeights) {
            config.invalidInitialization = scheme
        }
        config.peftType = try c.decodeIfPresent(String.self, forKey: .peftType) ?? config.peftType
        config.baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        config.revision = try c.decodeIfPresent(String.self, forKey: .revision)
        config.inferenceMode = try c.decodeIfPresent(Bool.self, forKey: .inferenceMode) ?? config.inferenceMode
        config.useDora = try c.decodeIfPresent(Bool.self, forKey: .useDora) ?? config.useDora
        config.rankPattern = try c.decodeIfPresent([String: Int].self, forKey: .rankPattern) ?? [:]
        config.alphaPattern = try c.decodeIfPresent([String: Double].self, forKey: .alphaPattern) ?? [:]
        config.megatronCore = try c.decodeIfPresent(String.self, forKey: .megatronCore) ?? config.megatronCore
        for key in [CodingKeys.layersToTransform, .layersPattern, .layerReplication, .loftqConfig, .megatronConfig] {
            if try c.decodeIfPresent(Presence.self, forKey: key)?.isSet == true { config.setButUnsupported.append(key.rawValue) }
        }
        self = config
    }

    /// The fields peft 0.11.1's `save_pretrained` writes, with its values for what arena does
    /// not implement (null or empty).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(r, forKey: .r)
        // lora_alpha and lora_dropout as peft writes them: an integral alpha as an integer.
        if loraAlpha.rounded() == loraAlpha, Swift.abs(loraAlpha) < 1e15 {
            try c.encode(Int(loraAlpha), forKey: .loraAlpha)
        } else {
            try c.encode(loraAlpha, forKey: .loraAlpha)
        }
        try c.encode(loraDropout, forKey: .loraDropout)
        try c.encode(targetModules, forKey: .targetModules)
        try c.encode(bias, forKey: .bias)
        try c.encode(modulesToSave, forKey: .modulesToSave)
        try c.encode(taskType, forKey: .taskType)
        try c.encode(useRslora, forKey: .useRslora)
        try c.encode(fanInFanOut, forKey: .fanInFanOut)
        try c.encode(initLoraWeights, forKey: .initLoraWeights)
        try c.encodeNil(forKey: .layersToTransform)
        try c.encodeNil(forKey: .layersPattern)
        try c.encode(peftType, forKey: .peftType)
        try c.encode(baseModelNameOrPath, forKey: .baseModelNameOrPath)
        try c.encode(revision, forKey: .revision)
        try c.encode(inferenceMode, forKey: .inferenceMode)
        try c.encode(rankPattern, forKey: .rankPattern)
        try c.encode(alphaPattern, forKey: .alphaPattern)
        try c.encode(useDora, forKey: .useDora)
        try c.encodeNil(forKey: .layerReplication)
        try c.encode([String: String](), forKey: .loftqConfig)
        try c.encodeNil(forKey: .megatronConfig)
        try c.encode(megatronCore, forKey: .megatronCore)
        try c.encodeNil(forKey: .autoMapping)
    }

    /// Whether `module` (a dotted module name, `model.layers.0.self_attn.q_proj`) is targeted:
    /// peft's `check_target_module_exists` (tuners/tuners_utils.py) without layers_to_transform.
    /// A pattern is a Swift `Regex`, the same syntax as Python's `re` for the usual patterns
    /// (alternation, groups, classes, `.*`, escapes).
    public func targets(module: String) throws -> Bool {
        switch targetModules {
        case .none: return false
        case .names(let names): return names.contains { module == $0 || module.hasSuffix("." + $0) }
        case .pattern(let pattern): return module.wholeMatch(of: try compiledPattern(pattern, file: "adapter_config.json")) != nil
        }
    }

    /// Whether `module` is trained and saved whole (peft: the module name ends with an entry).
    public func savesWhole(module: String) -> Bool {
        (modulesToSave ?? []).contains { module.hasSuffix($0) }
    }

    func compiledPattern(_ pattern: String, file: String) throws -> Regex<AnyRegexOutput> {
        do {
            return try Regex(pattern)
        } catch {
            throw ModelError.invalidConfig(file: file, field: "target_modules",
                                           reason: "\"\(pattern)\" is not a regular expression: \(error)")
        }
    }

    /// Reads `file` (an adapter_config.json) and validates it.
    public static func read(file: String) throws -> LoraConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ModelError.invalidConfig(file: file, field: "(file)", reason: "cannot be read")
        }
        let config: LoraConfig
        do {
            config = try JSONDecoder().decode(LoraConfig.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.invalidConfig(file: file, field: ModelFolder.field(of: error), reason: ModelFolder.reason(of: error))
        } catch {
            throw ModelError.invalidConfig(file: file, field: "(file)", reason: "not valid JSON: \(error.localizedDescription)")
        }
        try config.validate(file: file)
        return config
    }

    /// Checks what the implementation covers; `file` names adapter_config.json in errors.
    public func validate(file: String) throws {
        guard peftType == "LORA" else {
            throw ModelError.unsupportedConfig(file: file, field: "peft_type", reason: "\"\(peftType)\" is not implemented (only \"LORA\")")
        }
        guard r > 0 else {
            throw ModelError.invalidConfig(file: file, field: "r", reason: "must be positive, not \(r)")
        }
        guard loraAlpha > 0 else {
            throw ModelError.invalidConfig(file: file, field: "lora_alpha", reason: "must be positive, not \(loraAlpha)")
        }
        guard loraDropout >= 0, loraDropout < 1 else {
            throw ModelError.invalidConfig(file: file, field: "lora_dropout", reason: "must be in [0, 1), not \(loraDropout)")
        }
        switch targetModules {
        case .none:
            throw ModelError.invalidConfig(file: file, field: "target_modules",
                                           reason: "missing (arena has no per-architecture default list; name the Linear modules)")
        case .names(let names) where names.isEmpty:
            throw ModelError.invalidConfig(file: file, field: "target_modules", reason: "an empty list targets nothing")
        case .pattern(let pattern):
            _ = try compiledPattern(pattern, file: file)
        case .names:
            break
        }
        guard bias == "none" else {
            throw ModelError.unsupportedConfig(file: file, field: "bias", reason: "\"\(bias)\" is not implemented (only \"none\": biases stay frozen)")
        }
        guard !fanInFanOut else {
            throw ModelError.unsupportedConfig(file: file, field: "fan_in_fan_out", reason: "true is not implemented (weights stored [in, out], GPT-2's Conv1D)")
        }
        if let field = setButUnsupported.first {
            throw ModelError.unsupportedConfig(file: file, field: field, reason: "is set; arena implements LoRA without it (leave it null)")
        }
        if let scheme = invalidInitialization {
            throw ModelError.unsupportedConfig(file: file, field: "init_lora_weights",
                                               reason: "\"\(scheme)\" is not implemented (only true or false)")
        }
        guard rankPattern.isEmpty else {
            throw ModelError.unsupportedConfig(file: file, field: "rank_pattern", reason: "per-module ranks are not implemented (leave it {})")
        }
        guard alphaPattern.isEmpty else {
            throw ModelError.unsupportedConfig(file: file, field: "alpha_pattern", reason: "per-module alphas are not implemented (leave it {})")
        }
        guard !useDora else {
            throw ModelError.unsupportedConfig(file: file, field: "use_dora", reason: "DoRA is not implemented")
        }
    }
}

/// Whether a JSON value is set: not null, not an empty list or dictionary (any other value is).
private struct Presence: Decodable {
    let isSet: Bool

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            isSet = false
        } else if let list = try? container.decode([Presence].self) {
            isSet = !list.isEmpty
        } else if let dictionary = try? container.decode([String: Presence].self) {
            isSet = !dictionary.isEmpty
        } else {
            isSet = true
        }
    }
}
