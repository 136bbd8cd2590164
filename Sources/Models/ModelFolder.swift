import Foundation
import Torch

/// A Hugging Face model folder: config.json, weights (model.safetensors or pytorch_model.bin)
/// and tokenizer files.
public struct ModelFolder: Sendable {
    public let path: String
    /// `model_type` from config.json ("bert", "deberta-v2", ...).
    public let modelType: String
    /// The family implementing `modelType` (``ModelRegistry``).
    public let family: any EncoderFamily
    public let configFile: String
    let configData: Data

    /// The `model_type` values arena reads (``ModelRegistry/supportedModelTypes``).
    public static var supportedModelTypes: [String] { ModelRegistry.supportedModelTypes }

    /// Reads config.json; throws ``ModelError`` naming the file and field when it is missing,
    /// does not parse, or names a model type arena does not implement.
    public init(path: String) throws {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ModelError.missingConfig(folder: path)
        }
        configFile = (path as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configFile) else {
            throw ModelError.missingConfig(folder: path)
        }
        configData = data
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ModelError.invalidConfig(file: configFile, field: "(file)", reason: "not valid JSON: \(error.localizedDescription)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ModelError.invalidConfig(file: configFile, field: "(file)", reason: "expected a JSON object")
        }
        guard let type = dictionary["model_type"] as? String else {
            throw ModelError.invalidConfig(file: configFile, field: "model_type", reason: "missing (expected a string such as \"bert\")")
        }
        family = try ModelRegistry.family(for: type, configFile: configFile)
        modelType = type
    }

    /// Decodes config.json as `Config`, turning decoding errors into ``ModelError/invalidConfig``.
    public func decodeConfig<Config: Decodable>(_ type: Config.Type) throws -> Config {
        do {
            return try JSONDecoder().decode(Config.self, from: configData)
        } catch let error as DecodingError {
            throw ModelError.invalidConfig(file: configFile, field: Self.field(of: error), reason: Self.reason(of: error))
        }
    }

    /// The longest sequence the model can read, as its family says: `max_position_embeddings`
    /// when it has absolute positions (BERT; DeBERTa with `position_biased_input`), nil when only
    /// relative ones (DeBERTa-v3), which have no hard limit.
    public func maximumSequenceLength() throws -> Int? {
        try family.maximumSequenceLength(of: self)
    }

    /// Checks that sequences of `length` tokens fit the model (``ModelError/sequenceTooLong(file:length:limit:)``).
    public func checkSequenceLength(_ length: Int) throws {
        if let limit = try maximumSequenceLength(), length > limit {
            throw ModelError.sequenceTooLong(file: configFile, length: length, limit: limit)
        }
    }

    /// model.safetensors when present, else pytorch_model.bin.
    public func weightsFile() throws -> String {
        for name in ["model.safetensors", "pytorch_model.bin"] {
            let candidate = (path as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw ModelError.missingWeights(folder: path)
    }

    static func field(of error: DecodingError) -> String {
        let path: [CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        return path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    static func reason(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound: return "missing"
        case .typeMismatch(let type, let context): return "expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, _): return "expected \(type), found null"
        case .dataCorrupted(let context): return context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
