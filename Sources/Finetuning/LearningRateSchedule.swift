import Foundation
import Prediction
import Runs

/// The learning rate by optimizer step: a linear warm-up from 0, then a decay. The formulas are
/// transformers' (optimization.py, v4.40.2): `get_linear_schedule_with_warmup`,
/// `get_cosine_schedule_with_warmup` (half a cosine) and `get_constant_schedule_with_warmup`.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Shape: String, Codable, Sendable, CaseIterable {
        case linear
        case cosine
        case constant
    }

    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var shape: Shape

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, shape: Shape) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.shape = shape
    }

    /// The factor of the peak rate at `step` (from 0).
    public func factor(at step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        switch shape {
        case .constant: return 1
        case .linear: return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine: return max(0, 0.5 * (1 + cos(Double.pi * progress)))
        }
    }

    /// The learning rate at `step`.
    public func rate(at step: Int) -> Double { peak * factor(at: step) }
}
