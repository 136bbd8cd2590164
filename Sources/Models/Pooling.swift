import Torch

/// How token states become one vector per sequence.
public enum Pooling: String, Sendable, CaseIterable {
    /// The mean over real tokens (sentence-transformers' `pooling_mode_mean_tokens`).
    case mean
    /// The first token's state ([CLS]).
    case first

    /// [batch, length, hidden] and a [batch, length] mask (1 = token) -> [batch, hidden].
    public func callAsFunction(_ hidden: Tensor, mask: Tensor) throws -> Tensor {
        switch self {
        case .first:
            return try hidden.select(dim: 1, index: 0)
        case .mean:
            // sentence_transformers/models/Pooling.py: sum(h * m) / clamp(sum(m), min=1e-9)
            let weights = try mask.unsqueeze(-1).to(try hidden.dtype)
            let total = try (hidden * weights).sum(dim: 1)
            let counts = try weights.sum(dim: 1).clamp(min: 1e-9)
            return try total / counts
        }
    }
}

/// Rows scaled to unit L2 norm (`torch.nn.functional.normalize(x, p=2, dim=1)`, eps 1e-12).
public func l2Normalized(_ x: Tensor) throws -> Tensor {
    let norms = try x.square().sum(dim: -1, keepDim: true).sqrt().clamp(min: 1e-12)
    return try x / norms
}
