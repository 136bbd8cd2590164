import Torch

/// What a model tolerates when loading a checkpoint, beyond an exact match.
public struct LoadPolicy: Sendable {
    /// Model parameters that may be absent from the file (a new classification head).
    public var allowMissing: @Sendable (String) -> Bool
    /// File tensors that may be left unused (pretraining heads, `position_ids` buffers).
    public var allowUnused: @Sendable (String) -> Bool

    public init(allowMissing: @escaping @Sendable (String) -> Bool = { _ in false },
                allowUnused: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.allowMissing = allowMissing
        self.allowUnused = allowUnused
    }

    /// Exact: every parameter present, every tensor used.
    public static let strict = LoadPolicy()
}

/// What a load did.
public struct WeightLoadReport: Equatable, Sendable {
    public var loaded: [String]
    /// Parameters left at their initial values (allowed by the policy).
    public var missing: [String]
    /// File tensors ignored (allowed by the policy).
    public var unused: [String]
}

extension ParameterStore {
    /// Copies `weights` into the parameters, strictly: missing parameters, unused tensors and
    /// wrong shapes are all reported together in one ``ModelError/weightMismatch`` unless the
    /// policy allows them. Only the legacy names Hugging Face itself still renames are mapped:
    /// `LayerNorm.gamma` / `LayerNorm.beta` and a leading `prefix.` (`bert.`, `deberta.`) when
    /// the model is the bare encoder. Nothing is copied when the check fails.
    @discardableResult
    public func load(_ weights: [String: Tensor], file: String, prefix: String? = nil, policy: LoadPolicy = .strict) throws -> WeightLoadReport {
        var renamed: [String: Tensor] = [:]
        var sources: [String: String] = [:]
        let ownNames = Set(parameters.map(\.name))
        for (original, tensor) in weights {
            var name = original
            if name.hasSuffix(".gamma") { name = String(name.dropLast(6)) + ".weight" }
            if name.hasSuffix(".beta") { name = String(name.dropLast(5)) + ".bias" }
            if let prefix, name.hasPrefix(prefix + "."), !ownNames.contains(name),
               ownNames.contains(String(name.dropFirst(prefix.count + 1))) {
                name = String(name.dropFirst(prefix.count + 1))
            }
            renamed[name] = tensor
            sources[name] = original
        }
        var missing: [String] = []
        var disallowedMissing: [String] = []
        var wrongShape: [ShapeMismatch] = []
        var pairs: [(Tensor, Tensor)] = []
        var loaded: [String] = []
        for (name, parameter) in parameters {
            guard let source = renamed[name] else {
                if policy.allowMissing(name) { missing.append(name) } else { disallowedMissing.append(name) }
                continue
            }
            let expected = try parameter.shape
            let found = try source.shape
            if expected != found {
                wrongShape.append(ShapeMismatch(name: sources[name] ?? name, expected: expected, found: found))
            } else {
                pairs.append((parameter, source))
                loaded.append(name)
            }
        }
        var unused: [String] = []
        var disallowedUnused: [String] = []
        for name in renamed.keys.sorted() where !ownNames.contains(name) {
            let original = sources[name] ?? name
            if policy.allowUnused(original) || policy.allowUnused(name) { unused.append(original) } else { disallowedUnused.append(original) }
        }
        guard disallowedMissing.isEmpty, disallowedUnused.isEmpty, wrongShape.isEmpty else {
            throw ModelError.weightMismatch(file: file, missing: disallowedMissing, unused: disallowedUnused, wrongShape: wrongShape)
        }
        try withNoGrad {
            for (parameter, source) in pairs { try parameter.copy(from: source) }
        }
        return WeightLoadReport(loaded: loaded, missing: missing, unused: unused)
    }
}
