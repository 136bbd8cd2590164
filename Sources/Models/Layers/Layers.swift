import Torch

/// `torch.nn.Linear`: `weight` [out, in], optional `bias` [out]. When the store's adapter plan
/// targets this module it is peft's `lora.Linear` around it: `lora_A` / `lora_B` beside the
/// frozen weight (``LoraBranch``).
public struct Linear {
    public let weight: Tensor
    public let bias: Tensor?
    /// The LoRA branch, nil when the store has no adapter plan or the plan does not target this module.
    public let lora: LoraBranch?

    public init(_ path: ParameterPath, inputSize: Int, outputSize: Int, bias: Bool = true, std: Double = 0.02) throws {
        weight = try path.parameter("weight", shape: [outputSize, inputSize], initialization: .normal(std: std))
        self.bias = bias ? try path.parameter("bias", shape: [outputSize], initialization: .zeros) : nil
        lora = try LoraBranch(path, inputSize: inputSize, outputSize: outputSize)
    }

    /// An input of another dtype than the weight's is cast to it (a float32 head, a module to
    /// save, on a bfloat16 decoder's hidden states).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let input = try x.dtype == weight.dtype ? x : x.to(weight.dtype)
        let result = try input.linear(weight: weight, bias: bias)
        guard let lora else { return result }
        return try lora(x, base: result)
    }
}

/// `torch.nn.LayerNorm` over the last dimension.
public struct LayerNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let size: Int
    public let eps: Double

    public init(_ path: ParameterPath, size: Int, eps: Double) throws {
        weight = try path.parameter("weight", shape: [size], initialization: .ones)
        bias = try path.parameter("bias", shape: [size], initialization: .zeros)
        self.size = size
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.layerNorm(normalizedShape: [size], weight: weight, bias: bias, eps: eps)
    }
}

/// `torch.nn.Embedding`: `weight` [count, width].
public struct Embedding {
    public let weight: Tensor
    public let paddingIndex: Int?

    public init(_ path: ParameterPath, count: Int, width: Int, paddingIndex: Int? = nil, std: Double = 0.02) throws {
        weight = try path.parameter("weight", shape: [count, width], initialization: .normal(std: std))
        self.paddingIndex = paddingIndex
        if let paddingIndex, paddingIndex >= 0, paddingIndex < count {
            // Hugging Face zeroes the padding row at initialisation.
            try weight.narrow(dim: 0, start: paddingIndex, length: 1).fill(0)
        }
    }

    public func callAsFunction(_ indices: Tensor) throws -> Tensor {
        try Tensor.embedding(weight: weight, indices: indices, paddingIndex: paddingIndex)
    }
}

/// dense, dropout, then LayerNorm(x + residual): the body shared by BertSelfOutput, BertOutput,
/// DebertaV2SelfOutput and DebertaV2Output (parameters `dense.*` and `LayerNorm.*`).
public struct DenseResidualLayerNorm {
    public let dense: Linear
    public let layerNorm: LayerNorm
    let path: ParameterPath
    let dropout: Double

    public init(_ path: ParameterPath, inputSize: Int, outputSize: Int, eps: Double, dropout: Double, std: Double) throws {
        dense = try Linear(path.child("dense"), inputSize: inputSize, outputSize: outputSize, std: std)
        layerNorm = try LayerNorm(path.child("LayerNorm"), size: outputSize, eps: eps)
        self.path = path
        self.dropout = dropout
    }

    public func callAsFunction(_ x: Tensor, residual: Tensor) throws -> Tensor {
        try layerNorm(path.dropout(dense(x), probability: dropout) + residual)
    }
}

/// The activations Hugging Face names in `hidden_act` (transformers/activations.py, ACT2FN).
public enum Activation: String, Sendable, Decodable {
    case gelu
    case geluNew = "gelu_new"
    case geluPytorchTanh = "gelu_pytorch_tanh"
    case relu
    case silu
    case tanh

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .gelu: return try x.gelu()
        case .geluNew, .geluPytorchTanh: return try x.gelu(approximation: .tanh)
        case .relu: return try x.relu()
        case .silu: return try x.silu()
        case .tanh: return try x.tanh()
        }
    }
}

/// The additive attention mask of Hugging Face's `get_extended_attention_mask`: [batch, 1, 1,
/// length], 0 where `mask` is 1 and the dtype's lowest value where it is 0.
public func extendedAttentionMask(_ mask: Tensor, dtype: DType) throws -> Tensor {
    let lowest: Double
    switch dtype {
    case .float16: lowest = -65504
    case .bfloat16: lowest = -3.3895313892515355e38
    case .float64: lowest = -Double.greatestFiniteMagnitude
    default: lowest = Double(-Float.greatestFiniteMagnitude)
    }
    let expanded = try mask.unsqueeze(1).unsqueeze(2).to(dtype)
    return try (1.0 - expanded) * lowest
}
