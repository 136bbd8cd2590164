import CTorch

// Element-wise operations. Broadcasting follows PyTorch's rules; a Swift number combined with
// a tensor keeps the tensor's dtype, as a Python number does.

extension Tensor {
    func unary(_ op: Int, _ name: String) throws -> Tensor {
        try Tensor.make(name) { ctorch_unary(Int32(op), handle, $0) }
    }

    func binary(_ op: Int, _ other: Tensor, _ name: String) throws -> Tensor {
        try Tensor.make(name) { ctorch_binary(Int32(op), handle, other.handle, $0) }
    }

    func binary(_ op: Int, _ scalar: Double, scalarFirst: Bool = false, _ name: String) throws -> Tensor {
        try Tensor.make(name) { ctorch_binary_scalar(Int32(op), handle, scalar, scalarFirst, $0) }
    }

    public func neg() throws -> Tensor { try unary(CTORCH_NEG, "neg") }
    public func exp() throws -> Tensor { try unary(CTORCH_EXP, "exp") }
    public func log() throws -> Tensor { try unary(CTORCH_LOG, "log") }
    public func log1p() throws -> Tensor { try unary(CTORCH_LOG1P, "log1p") }
    public func sqrt() throws -> Tensor { try unary(CTORCH_SQRT, "sqrt") }
    public func rsqrt() throws -> Tensor { try unary(CTORCH_RSQRT, "rsqrt") }
    public func tanh() throws -> Tensor { try unary(CTORCH_TANH, "tanh") }
    public func erf() throws -> Tensor { try unary(CTORCH_ERF, "erf") }
    public func relu() throws -> Tensor { try unary(CTORCH_RELU, "relu") }
    public func sigmoid() throws -> Tensor { try unary(CTORCH_SIGMOID, "sigmoid") }
    /// SiLU (swish): x · sigmoid(x), `torch.nn.functional.silu` (Llama's "silu" activation).
    public func silu() throws -> Tensor { try unary(CTORCH_SILU, "silu") }
    public func sign() throws -> Tensor { try unary(CTORCH_SIGN, "sign") }
    public func abs() throws -> Tensor { try unary(CTORCH_ABS, "abs") }
    public func floor() throws -> Tensor { try unary(CTORCH_FLOOR, "floor") }
    public func ceil() throws -> Tensor { try unary(CTORCH_CEIL, "ceil") }
    public func round() throws -> Tensor { try unary(CTORCH_ROUND, "round") }
    public func reciprocal() throws -> Tensor { try unary(CTORCH_RECIPROCAL, "reciprocal") }
    public func sin() throws -> Tensor { try unary(CTORCH_SIN, "sin") }
    public func cos() throws -> Tensor { try unary(CTORCH_COS, "cos") }
    public func square() throws -> Tensor { try unary(CTORCH_SQUARE, "square") }
    public func logicalNot() throws -> Tensor { try unary(CTORCH_LOGICAL_NOT, "logicalNot") }

    /// GELU; `.tanh` is the tanh approximation (`approximate="tanh"`, BERT's "gelu_new").
    public func gelu(approximation: GeLUApproximation = .none) throws -> Tensor {
        switch approximation {
        case .none: return try unary(CTORCH_GELU, "gelu")
        case .tanh: return try unary(CTORCH_GELU_TANH, "gelu")
        }
    }

    public func pow(_ exponent: Tensor) throws -> Tensor { try binary(CTORCH_POW, exponent, "pow") }
    public func pow(_ exponent: Double) throws -> Tensor { try binary(CTORCH_POW, exponent, "pow") }
    public func maximum(_ other: Tensor) throws -> Tensor { try binary(CTORCH_MAXIMUM, other, "maximum") }
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(CTORCH_MINIMUM, other, "minimum") }
    public func remainder(_ other: Double) throws -> Tensor { try binary(CTORCH_REMAINDER, other, "remainder") }
    public func floorDivide(_ other: Double) throws -> Tensor { try binary(CTORCH_FLOOR_DIVIDE, other, "floorDivide") }

    // Comparisons give bool tensors (`==` stays Swift's identity-free equality, so these are names).
    public func eq(_ other: Tensor) throws -> Tensor { try binary(CTORCH_EQ, other, "eq") }
    public func eq(_ other: Double) throws -> Tensor { try binary(CTORCH_EQ, other, "eq") }
    public func ne(_ other: Tensor) throws -> Tensor { try binary(CTORCH_NE, other, "ne") }
    public func ne(_ other: Double) throws -> Tensor { try binary(CTORCH_NE, other, "ne") }
    public func lt(_ other: Tensor) throws -> Tensor { try binary(CTORCH_LT, other, "lt") }
    public func lt(_ other: Double) throws -> Tensor { try binary(CTORCH_LT, other, "lt") }
    public func le(_ other: Tensor) throws -> Tensor { try binary(CTORCH_LE, other, "le") }
    public func le(_ other: Double) throws -> Tensor { try binary(CTORCH_LE, other, "le") }
    public func gt(_ other: Tensor) throws -> Tensor { try binary(CTORCH_GT, other, "gt") }
    public func gt(_ other: Double) throws -> Tensor { try binary(CTORCH_GT, other, "gt") }
    public func ge(_ other: Tensor) throws -> Tensor { try binary(CTORCH_GE, other, "ge") }
    public func ge(_ other: Double) throws -> Tensor { try binary(CTORCH_GE, other, "ge") }
    public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(CTORCH_LOGICAL_AND, other, "logicalAnd") }
    public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(CTORCH_LOGICAL_OR, other, "logicalOr") }

    /// Clamps to `[min, max]`; either bound may be nil.
    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        try Tensor.make("clamp") { ctorch_clamp(handle, min != nil, min ?? 0, max != nil, max ?? 0, $0) }
    }

    /// `condition ? self : other`, element-wise (`torch.where(condition, self, other)`).
    public static func `where`(_ condition: Tensor, _ lhs: Tensor, _ rhs: Tensor) throws -> Tensor {
        try make("where") { ctorch_where(condition.handle, lhs.handle, rhs.handle, $0) }
    }

    /// `value` where `mask` is true.
    public func maskedFill(_ mask: Tensor, value: Double) throws -> Tensor {
        try Tensor.make("maskedFill") { ctorch_masked_fill(handle, mask.handle, value, $0) }
    }

    // MARK: Operators

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(CTORCH_ADD, rhs, "+") }
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(CTORCH_SUB, rhs, "-") }
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(CTORCH_MUL, rhs, "*") }
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.binary(CTORCH_DIV, rhs, "/") }
    public static func + (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.binary(CTORCH_ADD, rhs, "+") }
    public static func - (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.binary(CTORCH_SUB, rhs, "-") }
    public static func * (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.binary(CTORCH_MUL, rhs, "*") }
    public static func / (lhs: Tensor, rhs: Double) throws -> Tensor { try lhs.binary(CTORCH_DIV, rhs, "/") }
    public static func + (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.binary(CTORCH_ADD, lhs, scalarFirst: true, "+") }
    public static func - (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.binary(CTORCH_SUB, lhs, scalarFirst: true, "-") }
    public static func * (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.binary(CTORCH_MUL, lhs, scalarFirst: true, "*") }
    public static func / (lhs: Double, rhs: Tensor) throws -> Tensor { try rhs.binary(CTORCH_DIV, lhs, scalarFirst: true, "/") }
    public static prefix func - (operand: Tensor) throws -> Tensor { try operand.neg() }
}

/// The two forms of GELU in PyTorch.
public enum GeLUApproximation: Sendable {
    case none
    case tanh
}
