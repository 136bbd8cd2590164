import ArenaData
import Evaluation

/// Fixed answers for battles whose outcome the text model cannot see well: two identical
/// responses, or one empty response. For each case the answer is the label frequency of the
/// training rows in that case (smoothed toward the class prior), learned with A/B swapped
/// copies so that it is swap-consistent. A rule is used only where it lowered the out-of-fold
/// log loss of its rows; the run records which rules are on and why.
public struct EdgeCaseRules: Codable, Sendable, Equatable {
    public enum Case: String, Codable, CaseIterable, Sendable {
        case identicalResponses = "identical_responses"
        case emptyResponseA = "empty_response_a"
        case emptyResponseB = "empty_response_b"

        /// Cases decided together: an empty A and an empty B are mirror images, so one rule
        /// covers both and the prediction stays swap-consistent.
        var decisionGroup: [Case] {
            switch self {
            case .identicalResponses: return [.identicalResponses]
            case .emptyResponseA, .emptyResponseB: return [.emptyResponseA, .emptyResponseB]
            }
        }
    }

    public struct Rule: Codable, Sendable, Equatable {
        /// P(A), P(B), P(tie) given to battles in this case.
        public var probabilities: WinnerProbabilities
        /// Training rows in this case.
        public var rows: Int
        /// Whether predictions use the rule.
        public var enabled: Bool
        /// Out-of-fold log loss over this case's rows, of the model and of the rule.
        public var modelLogLoss: Double?
        public var ruleLogLoss: Double?
    }

    /// Rules by case name.
    public var rules: [String: Rule]

    /// Pseudo-counts of the class prior added to each case's counts.
    public static let smoothing = 3.0

    public init(rules: [String: Rule] = [:]) { self.rules = rules }

    /// The case a battle falls into, if any. Identical responses take precedence (two empty
    /// responses are identical).
    public static func category(of battle: Battle) -> Case? {
        if battle.responseA == battle.responseB { return .identicalResponses }
        let emptyA = isEmpty(battle.responseA)
        let emptyB = isEmpty(battle.responseB)
        if emptyA && !emptyB { return .emptyResponseA }
        if emptyB && !emptyA { return .emptyResponseB }
        return nil
    }

    private static func isEmpty(_ turns: [String]) -> Bool {
        turns.allSatisfy { $0.unicodeScalars.allSatisfy { $0.properties.isWhitespace } }
    }

    /// Per-case answers learned from labelled battles and their swapped copies, with the
    /// number of original rows in each case.
    public static func answers(from battles: [Battle]) -> [Case: (probabilities: WinnerProbabilities, rows: Int)] {
        var counts: [Case: [Double]] = [:]
        var rows: [Case: Int] = [:]
        var prior = [0.0, 0.0, 0.0]
        for battle in battles {
            guard let winner = battle.winner else { continue }
            prior[winner.rawValue] += 1
            prior[winner.swapped.rawValue] += 1
            if let category = category(of: battle) {
                rows[category, default: 0] += 1
                counts[category, default: [0, 0, 0]][winner.rawValue] += 1
            }
            let swapped = battle.swapped
            if let category = category(of: swapped), let label = swapped.winner {
                counts[category, default: [0, 0, 0]][label.rawValue] += 1
            }
        }
        let total = prior.reduce(0, +)
        let priorShare = total > 0 ? prior.map { $0 / total } : [1.0 / 3, 1.0 / 3, 1.0 / 3]
        var result: [Case: (probabilities: WinnerProbabilities, rows: Int)] = [:]
        for (category, count) in counts {
            let n = count.reduce(0, +)
            let probabilities = WinnerProbabilities { (count[$0.rawValue] + smoothing * priorShare[$0.rawValue]) / (n + smoothing) }
            result[category] = (probabilities, rows[category] ?? 0)
        }
        return result
    }

    /// Decides which rules to use by comparing, over the rows of each case (an empty A and an
    /// empty B together), the out-of-fold log loss of the model with that of the rule fitted on
    /// the other folds.
    /// - Parameters:
    ///   - battles: the labelled training rows.
    ///   - folds: the fold of each row.
    ///   - outOfFold: the model's out-of-fold predictions.
    public static func select(battles: [Battle], folds: [Int], outOfFold: [WinnerProbabilities]) throws(MetricError) -> EdgeCaseRules {
        let foldCount = (folds.max() ?? 0) + 1
        var ruleOutOfFold: [Int: WinnerProbabilities] = [:]
        for fold in 0..<foldCount {
            let training = battles.indices.filter { folds[$0] != fold }.map { battles[$0] }
            let answers = answers(from: training)
            for row in battles.indices where folds[row] == fold {
                if let category = category(of: battles[row]), let answer = answers[category] {
                    ruleOutOfFold[row] = answer.probabilities
                }
            }
        }
        var rules: [String: Rule] = [:]
        for (edgeCase, answer) in answers(from: battles) {
            let group = edgeCase.decisionGroup
            let rows = battles.indices.filter { index in
                category(of: battles[index]).map(group.contains) == true && ruleOutOfFold[index] != nil
            }
            var rule = Rule(probabilities: answer.probabilities, rows: answer.rows, enabled: false)
            if !rows.isEmpty {
                let labels = rows.compactMap { battles[$0].winner?.rawValue }
                if labels.count == rows.count {
                    let model = try Metrics.logLoss(probabilities: rows.map { outOfFold[$0] }, labels: labels)
                    let fixed = try Metrics.logLoss(probabilities: rows.compactMap { ruleOutOfFold[$0] }, labels: labels)
                    rule.modelLogLoss = model
                    rule.ruleLogLoss = fixed
                    rule.enabled = fixed < model
                }
            }
            rules[edgeCase.rawValue] = rule
        }
        return EdgeCaseRules(rules: rules)
    }

    /// `predictions` with the enabled rules' answers put in for battles in those cases.
    public func apply(to predictions: [WinnerProbabilities], battles: [Battle]) -> [WinnerProbabilities] {
        zip(predictions, battles).map { prediction, battle in
            guard let category = Self.category(of: battle), let rule = rules[category.rawValue], rule.enabled else {
                return prediction
            }
            return rule.probabilities
        }
    }
}
