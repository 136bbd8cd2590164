/// Every encoder family arena implements, keyed by config.json's `model_type`: the one place
/// that maps a model type to its code. ``ModelFolder`` looks its family up here when it reads
/// config.json, and everything after (``EncoderLoader``, ``PreferenceClassifier``, sequence
/// limits) goes through that family. Adding a family: docs/MODEL_FAMILIES.md.
public enum ModelRegistry {
    /// The families, in the order error messages list them. One entry per `model_type`.
    public static let families: [any EncoderFamily] = [
        BertFamily(),
        DebertaV2Family(),
        LlamaFamily.llama,
        LlamaFamily.mistral,
        DecoderFamily<Qwen2Config>.qwen2,
        DecoderFamily<GemmaConfig>.gemma,
        DecoderFamily<Gemma2Config>.gemma2,
    ]

    /// The `model_type` values arena reads, in registry order.
    public static var supportedModelTypes: [String] { families.map(\.modelType) }

    /// The family for `modelType`, nil when arena does not implement it.
    public static func family(for modelType: String) -> (any EncoderFamily)? {
        families.first { $0.modelType == modelType }
    }

    /// The family for `modelType`; throws ``ModelError/unknownModelType`` naming `configFile`, the
    /// type and the supported ones otherwise.
    public static func family(for modelType: String, configFile: String) throws -> any EncoderFamily {
        guard let family = family(for: modelType) else {
            throw ModelError.unknownModelType(file: configFile, modelType: modelType, supported: supportedModelTypes)
        }
        return family
    }
}
