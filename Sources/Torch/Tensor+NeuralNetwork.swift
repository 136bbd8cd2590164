import CTorch

// The functions of torch.nn.functional that BERT, DeBERTa and their training use.

/// How a loss is reduced over the batch.
public enum LossReduction: Int32, Sendable {
    case none = 0
    case mean = 1
    case sum = 2
}

extension Tensor {
    public func matmul(_ other: Tensor) throws -> Tensor {
        try Tensor.make("matmul") { ctorch_matmul(handle, other.handle, $0) }
    }

    /// Batched matrix product of [b, n, m] and [b, m, p].
    public func bmm(_ other: Tensor) throws -> Tensor {
        try Tensor.make("bmm") { ctorch_bmm(handle, other.handle, $0) }
    }

    /// `self @ weight.T + bias`, as `torch.nn.functional.linear` (weight is [out, in]).
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try withExtendedLifetime(bias) {
            try Tensor.make("linear") { ctorch_linear(handle, weight.handle, bias?.handle, $0) }
        }
    }

    /// Softmax along `dim`, computed in `dtype` when given.
    public func softmax(dim: Int, dtype: DType? = nil) throws -> Tensor {
        try Tensor.make("softmax") { ctorch_softmax(handle, Int64(dim), dtype?.rawValue ?? -1, $0) }
    }

    public func logSoftmax(dim: Int, dtype: DType? = nil) throws -> Tensor {
        try Tensor.make("logSoftmax") { ctorch_log_softmax(handle, Int64(dim), dtype?.rawValue ?? -1, $0) }
    }

    /// Layer normalisation over the trailing `normalizedShape` dimensions.
    public func layerNorm(normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        try withExtendedLifetime((weight, bias)) {
            try Tensor.make("layerNorm") { out in
                withInt64s(normalizedShape) { ctorch_layer_norm(handle, $0, $1, weight?.handle, bias?.handle, eps, out) }
            }
        }
    }

    /// Rows of the [vocabulary, width] `weight` at the int64 `indices`; rows at `paddingIndex`
    /// get no gradient.
    /// A negative `paddingIndex` counts from the end, as in PyTorch (-1 is the last row).
    public static func embedding(weight: Tensor, indices: Tensor, paddingIndex: Int? = nil) throws -> Tensor {
        var padding: Int64 = -1  // libtorch's "no padding"
        if let paddingIndex {
            let rows = try weight.size(0)
            guard (-rows..<rows).contains(paddingIndex) else {
                throw TorchError.invalidArgument("embedding: paddingIndex \(paddingIndex) is outside the \(rows) rows")
            }
            padding = Int64(paddingIndex < 0 ? paddingIndex + rows : paddingIndex)
        }
        return try make("embedding") { ctorch_embedding(weight.handle, indices.handle, padding, $0) }
    }

    /// Zeroes elements with probability `probability` and scales the rest by 1/(1-p) when training.
    public func dropout(probability: Double, training: Bool) throws -> Tensor {
        try Tensor.make("dropout") { ctorch_dropout(handle, probability, training, $0) }
    }

    /// `torch.nn.functional.scaled_dot_product_attention`: softmax(q kᵀ · scale + mask) v for
    /// [..., length, headSize] tensors, with `dropout` on the attention weights, computed by the
    /// fused kernel libtorch picks (flash attention on the CPU): the weights are never
    /// materialised. `mask` is boolean (true = attend) or additive of the query's dtype, and
    /// broadcasts to [..., queries, keys]; `scale` defaults to 1/√headSize.
    public static func scaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil, dropout: Double = 0, isCausal: Bool = false,
        scale: Double? = nil
    ) throws -> Tensor {
        try withExtendedLifetime((query, key, value, mask)) {
            try Tensor.make("scaledDotProductAttention") {
                ctorch_scaled_dot_product_attention(
                    query.handle, key.handle, value.handle, mask?.handle, dropout, isCausal, scale ?? -1, $0)
            }
        }
    }

    /// `torch.nn.functional.cross_entropy` of [batch, classes] logits and int64 class targets
    /// (or [batch, classes] probabilities), with optional class weights and label smoothing.
    public func crossEntropy(
        target: Tensor, weight: Tensor? = nil, reduction: LossReduction = .mean,
        ignoreIndex: Int = -100, labelSmoothing: Double = 0
    ) throws -> Tensor {
        try withExtendedLifetime(weight) {
            try Tensor.make("crossEntropy") {
                ctorch_cross_entropy(handle, target.handle, weight?.handle, reduction.rawValue, Int64(ignoreIndex), labelSmoothing, $0)
            }
        }
    }

    public func mseLoss(target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
        try Tensor.make("mseLoss") { ctorch_mse_loss(handle, target.handle, reduction.rawValue, $0) }
    }
}
