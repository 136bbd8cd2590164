import CTorch

/// A libtorch optimizer (SGD, Adam, AdamW from torch::optim) over parameter groups.
///
///     let groups = ParameterGroup.decayGroups(named: model.namedParameters, learningRate: 2e-5, weightDecay: 0.01)
///     let optimizer = try Optimizer(.adamW(), groups: groups)
///     try loss.backward(); try optimizer.step(); try optimizer.zeroGrad()
public final class Optimizer {
    /// The algorithm and its settings (PyTorch's defaults).
    public enum Algorithm: Sendable {
        case sgd(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false)
        case adam(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, amsgrad: Bool = false)
        /// `fused`: each group updated by one fused kernel call (`torch.optim.AdamW(fused=True)`),
        /// the same update up to rounding; the state is the same, so either loads the other's.
        case adamW(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, amsgrad: Bool = false, fused: Bool = false)
    }

    let handle: OpaquePointer
    /// The groups as given (learning rates change through ``setLearningRate(_:)``).
    public let groups: [ParameterGroup]

    public init(_ algorithm: Algorithm, groups: [ParameterGroup]) throws {
        guard !groups.isEmpty, groups.contains(where: { !$0.parameters.isEmpty }) else {
            throw TorchError.invalidArgument("Optimizer: no parameters to optimize")
        }
        var options = ctorch_optimizer_options(beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false, momentum: 0, dampening: 0, nesterov: false)
        let kind: Int
        switch algorithm {
        case let .sgd(momentum, dampening, nesterov):
            kind = Int(CTORCH_SGD)
            options.momentum = momentum
            options.dampening = dampening
            options.nesterov = nesterov
        case let .adam(beta1, beta2, eps, amsgrad):
            kind = Int(CTORCH_ADAM)
            (options.beta1, options.beta2, options.eps, options.amsgrad) = (beta1, beta2, eps, amsgrad)
        case let .adamW(beta1, beta2, eps, amsgrad, fused):
            kind = Int(fused ? CTORCH_ADAMW_FUSED : CTORCH_ADAMW)
            (options.beta1, options.beta2, options.eps, options.amsgrad) = (beta1, beta2, eps, amsgrad)
        }
        let handleLists: [[OpaquePointer?]] = groups.map { $0.parameters.map { $0.handle } }
        var out: OpaquePointer?
        let status: Int32 = withExtendedLifetime(groups) {
            withArrayPointers(handleLists) { pointers in
                var cGroups = zip(groups, pointers).map { group, pointer in
                    ctorch_parameter_group(parameters: pointer, count: group.parameters.count,
                                           learning_rate: group.learningRate, weight_decay: group.weightDecay)
                }
                return cGroups.withUnsafeMutableBufferPointer {
                    ctorch_optimizer_new(Int32(kind), $0.baseAddress, $0.count, options, &out)
                }
            }
        }
        try check(status, "Optimizer")
        guard let out else { throw TorchError.libtorch(operation: "Optimizer", message: "no optimizer returned") }
        handle = out
        self.groups = groups
    }

    deinit {
        ctorch_optimizer_free(handle)
    }

    /// One update of every parameter from its gradient.
    public func step() throws {
        try check(ctorch_optimizer_step(handle), "Optimizer.step")
    }

    /// Clears every parameter's gradient (to nil with `setToNone`, else to zeros).
    public func zeroGrad(setToNone: Bool = true) throws {
        try check(ctorch_optimizer_zero_grad(handle, setToNone), "Optimizer.zeroGrad")
    }

    /// Sets the learning rate of every group (a schedule calls this before each step).
    public func setLearningRate(_ learningRate: Double) throws {
        for group in groups.indices { try setLearningRate(learningRate, group: group) }
    }

    public func setLearningRate(_ learningRate: Double, group: Int) throws {
        guard group >= 0 else { throw TorchError.invalidArgument("Optimizer: group \(group) does not exist") }
        try check(ctorch_optimizer_set_learning_rate(handle, group, learningRate), "Optimizer.setLearningRate")
    }

    public func learningRate(group: Int = 0) throws -> Double {
        guard group >= 0 else { throw TorchError.invalidArgument("Optimizer: group \(group) does not exist") }
        var value = 0.0
        try check(ctorch_optimizer_learning_rate(handle, group, &value), "Optimizer.learningRate")
        return value
    }

    /// Writes the optimizer state (moments, step counts) in libtorch's archive format.
    public func save(toFile path: String) throws {
        try check(ctorch_optimizer_save(handle, path), "Optimizer.save(\(path))")
    }

    /// Reads state written by ``save(toFile:)`` for the same parameters.
    public func load(fromFile path: String) throws {
        try check(ctorch_optimizer_load(handle, path), "Optimizer.load(\(path))")
    }
}

/// Parameters that share a learning rate and weight decay.
public struct ParameterGroup {
    public var parameters: [Tensor]
    public var learningRate: Double
    public var weightDecay: Double

    public init(parameters: [Tensor], learningRate: Double, weightDecay: Double = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
    }

    /// The usual transformer split: weight decay on weights, none on biases and LayerNorm
    /// parameters (names ending in "bias", or containing "LayerNorm" / "layer_norm" / "norm.").
    /// Empty groups are left out.
    public static func decayGroups(named parameters: [(name: String, tensor: Tensor)], learningRate: Double, weightDecay: Double) -> [ParameterGroup] {
        var decayed: [Tensor] = []
        var undecayed: [Tensor] = []
        for (name, tensor) in parameters {
            if isExemptFromWeightDecay(name) { undecayed.append(tensor) } else { decayed.append(tensor) }
        }
        return [
            ParameterGroup(parameters: decayed, learningRate: learningRate, weightDecay: weightDecay),
            ParameterGroup(parameters: undecayed, learningRate: learningRate, weightDecay: 0),
        ].filter { !$0.parameters.isEmpty }
    }

    public static func isExemptFromWeightDecay(_ name: String) -> Bool {
        name.hasSuffix("bias") || name.contains("LayerNorm") || name.contains("layer_norm") || name.contains("norm.")
    }
}

/// `torch.nn.utils.clip_grad_norm_`: scales the gradients so that their joint norm is at most
/// `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) throws -> Double {
    let handles: [OpaquePointer?] = parameters.map { $0.handle }
    var total = 0.0
    let status = withExtendedLifetime(parameters) {
        handles.withUnsafeBufferPointer { ctorch_clip_grad_norm($0.baseAddress, $0.count, maxNorm, normType, &total) }
    }
    try check(status, "clipGradNorm")
    return total
}

/// Calls `body` with a stable pointer to each inner array.
private func withArrayPointers<R>(_ arrays: [[OpaquePointer?]], _ body: ([UnsafePointer<OpaquePointer?>?]) -> R) -> R {
    func recurse(_ index: Int, _ collected: [UnsafePointer<OpaquePointer?>?]) -> R {
        if index == arrays.count { return body(collected) }
        return arrays[index].withUnsafeBufferPointer { recurse(index + 1, collected + [$0.baseAddress]) }
    }
    return recurse(0, [])
}
