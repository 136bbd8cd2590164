// Knowledge distillation from a teacher's predictions (the top solutions distilled Llama-3-70B /
// Qwen2-72B predictions into Gemma-2-9B): each training battle's loss mixes the cross-entropy
// with the true winner and the KL divergence from the teacher's three probabilities,
//   loss = (1 - weight) · CE(logits, winner) + weight · KL(teacher ‖ softmax(logits)),
// KL(t ‖ s) = Σ t · (ln t - ln s), averaged over the rows like the cross-entropy. Swapped copies
// see the teacher's row swapped (P(A) and P(B) exchanged).
import ArenaData
import Foundation
import Prediction
import Runs
import Torch

/// A teacher for ``FinetuneSettings/distillation``: its file (a Kaggle submission CSV: id,
/// winner_model_a, winner_model_b, winner_tie, such as a larger model's out-of-fold
/// predictions), the file's SHA-256 (so a resumed run notices a changed teacher), and the weight
/// of the KL term.
public struct Distillation: Codable, Sendable, Equatable {
    /// The teacher file as given.
    public var teacher: String
    /// The weight of the KL term in (0, 1]; the cross-entropy gets 1 - weight.
    public var weight: Double
    /// SHA-256 of the teacher file when the run started.
    public var teacherSha256: String

    public init(teacher: String, weight: Double, teacherSha256: String) {
        self.teacher = teacher
        self.weight = weight
        self.teacherSha256 = teacherSha256
    }

    /// The settings for the file at `teacher`, its digest read now.
    public init(teacher: String, weight: Double) throws(TrainingError) {
        let digest: String
        do { digest = try SHA256.hex(ofFile: teacher) } catch { throw TrainingError.io(error) }
        self.init(teacher: teacher, weight: weight, teacherSha256: digest)
    }

    /// The teacher's probabilities for `battles`, in their order. The file is checked as
    /// `arena evaluate` checks a submission (columns, numbers in [0, 1], rows summing to 1 within
    /// 1e-6, no repeated id; every problem named with its line); every battle must have a row
    /// (the missing ids are named), rows for other ids are ignored. A file whose SHA-256 is no
    /// longer the recorded one is refused (the run would mix two teachers).
    public func probabilities(for battles: [Battle]) throws(TrainingError) -> [WinnerProbabilities] {
        let digest: String
        do { digest = try SHA256.hex(ofFile: teacher) } catch { throw TrainingError.io(error) }
        guard digest == teacherSha256 else {
            throw TrainingError.setting(
                name: "distillation.teacher",
                problem: "\(teacher) has changed since the run started (SHA-256 \(digest.prefix(16))..., recorded \(teacherSha256.prefix(16))...); "
                    + "start a new run to train with another teacher")
        }
        let check = SubmissionFile.read(path: teacher)
        guard check.isValid else {
            let shown = check.violations.prefix(5).map(\.description)
            let more = check.violations.count > shown.count ? " (and \(check.violations.count - shown.count) more)" : ""
            throw TrainingError.invalidSetting("teacher file \(teacher) is not a valid prediction file: \(shown.joined(separator: "; "))\(more)")
        }
        let known = Set(check.ids)
        let missing = battles.map(\.id).filter { !known.contains($0) }
        guard missing.isEmpty, let rows = check.probabilities(orderedBy: battles.map(\.id)) else {
            let shown = missing.prefix(5).joined(separator: ", ")
            throw TrainingError.invalidSetting(
                "teacher file \(teacher) has no row for \(missing.count) of the \(battles.count) training battles (ids \(shown)\(missing.count > 5 ? ", ..." : "")); "
                    + "the teacher must predict every battle trained on")
        }
        return rows
    }

    /// The mixed loss of a micro-batch: `crossEntropy` (the mean over its rows) and the mean KL
    /// divergence from `targets` (one teacher row per logits row, in the same order).
    static func mixedLoss(logits: Tensor, crossEntropy: Tensor, targets: [WinnerProbabilities], weight: Double) throws -> Tensor {
        let rows = targets.count
        let flat = targets.flatMap { [Float($0.modelA), Float($0.modelB), Float($0.tie)] }
        let teacher = try Tensor(flat, shape: [rows, 3]).to(try logits.device)
        // Σ t ln t per row (0 ln 0 = 0), a constant of the batch: KL = that - Σ t ln s.
        let negativeEntropy = targets.reduce(0.0) { sum, row in
            sum + row.reduce(0.0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) }
        } / Double(rows)
        let logProbabilities = try logits.to(.float32).logSoftmax(dim: -1)
        let kl = try (teacher * logProbabilities).sum(dim: -1).mean().neg() + negativeEntropy
        return try crossEntropy * (1 - weight) + kl * weight
    }
}
