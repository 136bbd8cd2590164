import CTorch

extension Tensor {
    /// Whether autograd records operations on this tensor.
    public var requiresGrad: Bool {
        get throws {
            var flag = false
            try check(ctorch_tensor_requires_grad(handle, &flag), "requiresGrad")
            return flag
        }
    }

    /// Turns gradient recording on or off for this (leaf) tensor and returns it.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) throws -> Tensor {
        try check(ctorch_tensor_set_requires_grad(handle, flag), "requiringGrad")
        return self
    }

    /// The accumulated gradient, nil before any backward pass reached this tensor.
    public var grad: Tensor? {
        get throws {
            var out: OpaquePointer?
            try check(ctorch_tensor_grad(handle, &out), "grad")
            return out.map { Tensor(handle: $0) }
        }
    }

    public var isLeaf: Bool {
        get throws {
            var flag = false
            try check(ctorch_tensor_is_leaf(handle, &flag), "isLeaf")
            return flag
        }
    }

    /// Back-propagates from this tensor (a scalar, or with `gradient` of the same shape),
    /// accumulating into the `grad` of every leaf that requires it.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        try withExtendedLifetime(gradient) {
            try check(ctorch_tensor_backward(handle, gradient?.handle, retainGraph), "backward")
        }
    }

    /// Clears the gradient: to nil (`setToNone`, PyTorch 2's default) or to zeros.
    public func zeroGrad(setToNone: Bool = true) throws {
        try check(ctorch_tensor_zero_grad(handle, setToNone), "zeroGrad")
    }

    /// The same values, cut from the autograd graph.
    public func detach() throws -> Tensor {
        try Tensor.make("detach") { ctorch_tensor_detach(handle, $0) }
    }
}

/// Runs `body` with gradient recording off on this thread (`torch.no_grad()`), restoring the
/// previous mode afterwards even when `body` throws.
public func withNoGrad<Result>(_ body: () throws -> Result) throws -> Result {
    try withGradEnabled(false, body)
}

/// Whether gradient recording is on on this thread (`torch.is_grad_enabled()`).
public func isGradEnabled() throws -> Bool {
    var enabled = true
    try check(ctorch_grad_enabled(&enabled), "isGradEnabled")
    return enabled
}

/// Runs `body` with gradient recording set to `enabled` (`torch.set_grad_enabled`).
public func withGradEnabled<Result>(_ enabled: Bool, _ body: () throws -> Result) throws -> Result {
    var previous = true
    try check(ctorch_grad_enabled(&previous), "withGradEnabled")
    try check(ctorch_set_grad_enabled(enabled), "withGradEnabled")
    defer { ctorch_set_grad_enabled(previous) }
    return try body()
}
