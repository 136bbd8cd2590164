/// Errors loading or running a model. Each names the file and the field or tensor at fault.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A model folder without config.json.
    case missingConfig(folder: String)
    /// config.json does not parse, or a field is missing or has the wrong type.
    case invalidConfig(file: String, field: String, reason: String)
    /// A `model_type` arena does not implement.
    case unknownModelType(file: String, modelType: String, supported: [String])
    /// A configuration this implementation does not cover (named precisely).
    case unsupportedConfig(file: String, field: String, reason: String)
    /// Sequences of `length` tokens do not fit the model's `limit` absolute positions
    /// (`max_position_embeddings` of `file`).
    case sequenceTooLong(file: String, length: Int, limit: Int)
    /// A folder with neither model.safetensors nor pytorch_model.bin.
    case missingWeights(folder: String)
    /// The checkpoint and the model disagree: every missing, unused and wrong-shaped tensor at once.
    case weightMismatch(file: String, missing: [String], unused: [String], wrongShape: [ShapeMismatch])
    case duplicateParameter(String)
    /// LoRA `target_modules` entries (or the pattern) that name no Linear of the model (peft:
    /// "Target modules {...} not found in the base model"), with the model's Linear modules.
    case adapterTargetsNotFound(file: String, targets: [String], linearModules: [String])
    /// An input tensor of the wrong shape or type.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .missingConfig(let folder):
            return "\(folder): no config.json (expected a Hugging Face model folder)"
        case let .invalidConfig(file, field, reason):
            return "\(file): field \"\(field)\": \(reason)"
        case let .sequenceTooLong(file, length, limit):
            return "\(file): sequences of \(length) tokens are longer than the \(limit) positions this model has (max_position_embeddings)"
        case let .unknownModelType(file, modelType, supported):
            return "\(file): model_type \"\(modelType)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .unsupportedConfig(file, field, reason):
            return "\(file): field \"\(field)\": \(reason)"
        case .missingWeights(let folder):
            return "\(folder): no model.safetensors or pytorch_model.bin"
        case let .weightMismatch(file, missing, unused, wrongShape):
            var parts: [String] = []
            if !wrongShape.isEmpty {
                parts.append("wrong shape: " + wrongShape.map(\.description).joined(separator: ", "))
            }
            if !missing.isEmpty { parts.append("missing: " + missing.joined(separator: ", ")) }
            if !unused.isEmpty { parts.append("unused: " + unused.joined(separator: ", ")) }
            return "\(file): the weights do not fit the model: " + parts.joined(separator: "; ")
        case .duplicateParameter(let name):
            return "parameter \(name) is created twice"
        case let .adapterTargetsNotFound(file, targets, linearModules):
            // Layer indices folded (`model.layers.*.mlp.up_proj`) so a deep model's list stays short.
            var seen = Set<String>()
            let folded = linearModules.map { $0.split(separator: ".").map { $0.allSatisfy(\.isNumber) ? "*" : String($0) }.joined(separator: ".") }
                .filter { seen.insert($0).inserted }
            return "\(file): field \"target_modules\": target modules \(targets.map { "\"\($0)\"" }.joined(separator: ", ")) not found in the base model "
                + "(its Linear modules: \(folded.isEmpty ? "none" : folded.joined(separator: ", ")))"
        case .invalidInput(let message):
            return message
        }
    }
}

/// A tensor whose checkpoint shape differs from the model's.
public struct ShapeMismatch: Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let expected: [Int]
    public let found: [Int]

    public var description: String { "\(name) (model \(expected), file \(found))" }
}
