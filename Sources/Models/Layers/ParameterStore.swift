import Torch

/// Owns a model's parameters under the names of its Hugging Face checkpoint.
///
/// Blocks are built from a ``ParameterPath`` (`store.root.child("encoder").child("layer")[0]...`)
/// and create their tensors through it, so a model's parameter names equal the checkpoint's
/// (`encoder.layer.0.attention.self.query.weight`) with no rename table.
public final class ParameterStore {
    public let device: Device
    public let dtype: DType
    /// Whether dropout is active (`model.train()` / `model.eval()`).
    public var training = false
    /// Parameters in creation order (the order of the Hugging Face module tree).
    public private(set) var parameters: [(name: String, tensor: Tensor)] = []
    private var positions: [String: Int] = [:]
    private let generator: Generator
    /// The LoRA plan, nil for a plain model.
    public let adapter: LoraConfig?
    /// Names of the ``Linear`` modules built under a plan, in creation order, and of those given a LoRA branch.
    public internal(set) var linearModules: [String] = []
    public internal(set) var adaptedModules: [String] = []

    /// `seed` drives the initial values (normal with the config's initializer range), so two
    /// stores built with the same seed start equal.
    public init(device: Device = .cpu, dtype: DType = .float32, seed: UInt64 = 0) throws {
        self.device = device
        self.dtype = dtype
        self.generator = try Generator(seed: seed)
        self.adapter = nil
    }

    /// The LoRA plan the model is built with (Sources/Models/LoRA): every ``Linear`` the plan
    /// targets gets `lora_A` / `lora_B` (float32), the `modules_to_save` are created in float32
    /// and trained, every other parameter is frozen. Call ``checkAdapterTargets(file:)`` once the
    /// model is built. `adapter` is validated here.
    public init(device: Device = .cpu, dtype: DType = .float32, seed: UInt64 = 0, adapter: LoraConfig,
                adapterFile: String = "adapter_config.json") throws {
        try adapter.validate(file: adapterFile)
        self.device = device
        self.dtype = dtype
        self.generator = try Generator(seed: seed)
        self.adapter = adapter
    }

    /// The root of the parameter tree.
    public var root: ParameterPath { ParameterPath(store: self, name: "") }

    public func tensor(named name: String) -> Tensor? {
        positions[name].map { parameters[$0].tensor }
    }

    /// Shapes by parameter name.
    public func shapes() throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for (name, tensor) in parameters { shapes[name] = try tensor.shape }
        return shapes
    }

    /// The number of scalar parameters.
    public func parameterCount() throws -> Int {
        try parameters.reduce(0) { $0 + (try $1.tensor.elementCount) }
    }

    /// Turns gradient recording on or off for every parameter (freezing a backbone).
    public func setRequiresGrad(_ flag: Bool, where include: (String) -> Bool = { _ in true }) throws {
        for (name, tensor) in parameters where include(name) { try tensor.requiringGrad(flag) }
    }

    /// The parameters an optimizer updates (`requires_grad`): all of them for a plain model, the
    /// LoRA matrices and the modules to save under an adapter plan.
    public var trainableParameters: [(name: String, tensor: Tensor)] {
        get throws { try parameters.filter { try $0.tensor.requiresGrad } }
    }

    /// `dtype`: this parameter's, when not the store's. Under an adapter plan the parameter is
    /// trainable, and float32 unless `dtype` says otherwise, only when it is a LoRA matrix or in a
    /// module to save (``LoraConfig/isAdapterParameter(_:)``); the rest is frozen.
    func makeParameter(_ name: String, shape: [Int], initialization: Initialization, dtype: DType? = nil) throws -> Tensor {
        guard positions[name] == nil else {
            throw ModelError.duplicateParameter(name)
        }
        let trainable = adapter.map { $0.isAdapterParameter(name) } ?? true
        let dtype = dtype ?? (adapter != nil && trainable ? .float32 : self.dtype)
        let tensor: Tensor
        switch initialization {
        case .zeros: tensor = try Tensor.zeros(shape, dtype: dtype)
        case .ones: tensor = try Tensor.ones(shape, dtype: dtype)
        case .normal(let std): tensor = try Tensor.randn(shape, dtype: dtype, generator: generator) * std
        case .uniform(let bound): tensor = try Tensor.rand(shape, dtype: dtype, generator: generator) * (2 * bound) - bound
        }
        let placed = try (device == .cpu ? tensor : tensor.to(device)).detach().requiringGrad(trainable)
        positions[name] = parameters.count
        parameters.append((name, placed))
        return placed
    }
}

/// How a new parameter starts (Hugging Face's `_init_weights`).
public enum Initialization: Sendable {
    case zeros
    case ones
    case normal(std: Double)
    /// Uniform on [-bound, bound] (`kaiming_uniform_`, nn.Linear's default for weights).
    case uniform(bound: Double)
}

/// A dotted position in a ``ParameterStore``'s tree.
public struct ParameterPath {
    public let store: ParameterStore
    public let name: String

    public func child(_ component: String) -> ParameterPath {
        ParameterPath(store: store, name: name.isEmpty ? component : "\(name).\(component)")
    }

    public subscript(index: Int) -> ParameterPath { child(String(index)) }

    /// The descendant at a dotted `path` ("bert.pooler": `child("bert").child("pooler")`).
    public func descendant(_ path: String) -> ParameterPath {
        path.split(separator: ".").reduce(self) { $0.child(String($1)) }
    }

    /// Creates the parameter `name.component` with `shape`, in `dtype` when given (the store's otherwise).
    public func parameter(_ component: String, shape: [Int], initialization: Initialization, dtype: DType? = nil) throws -> Tensor {
        try store.makeParameter(child(component).name, shape: shape, initialization: initialization, dtype: dtype)
    }

    /// Dropout that follows the store's training flag.
    public func dropout(_ x: Tensor, probability: Double) throws -> Tensor {
        guard store.training, probability > 0 else { return x }
        return try x.dropout(probability: probability, training: true)
    }
}
