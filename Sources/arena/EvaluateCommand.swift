import ArenaData
import ArgumentParser
import Evaluation
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a submission against labelled data: log loss, accuracy, calibration, confusion matrix.",
        discussion: """
            The submission is a Kaggle CSV with the columns id, winner_model_a, winner_model_b, \
            winner_tie. It is first checked as the competition's grader checked it: every column \
            present, every value a probability in [0, 1], every row summing to 1 within 1e-6, each \
            id once, and exactly the ids of the labelled file. If anything is wrong, each problem \
            is listed on standard error and the command exits with status 1 without a score.

            The log loss is Kaggle's: probabilities clipped to [1e-15, 1 - 1e-15], each row \
            renormalised, the mean of -ln p(true winner).
            """
    )

    @Option(help: "The submission CSV to score (id, winner_model_a, winner_model_b, winner_tie).")
    var predictions: String

    @Option(help: "The labelled data: a CSV in the Kaggle train.csv schema, or JSON Lines with a winner field.")
    var labels: String

    @Option(help: "Equal-width confidence bins of the expected calibration error.")
    var bins = 15

    @Option(help: "How many problems of each kind to list when the submission is not valid.")
    var maxMessages = 10

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard bins >= 1 else { throw ValidationError("--bins must be at least 1 (got \(bins))") }
        guard maxMessages >= 1 else { throw ValidationError("--max-messages must be at least 1 (got \(maxMessages))") }
    }

    func run() throws {
        let logger = global.makeLogger("evaluate")
        let truth = try Self.readLabels(path: labels)
        logger.debug("\(labels): \(truth.ids.count) labelled rows")

        var submission = SubmissionFile.read(path: predictions)
        submission.compareIDs(with: truth.ids, labelsPath: labels)
        guard submission.isValid, let probabilities = submission.probabilities(orderedBy: truth.ids) else {
            let messages = submission.messages(limit: maxMessages)
            FileHandle.standardError.write(Data((messages.joined(separator: "\n") + "\n").utf8))
            FileHandle.standardError.write(Data("\(predictions): not a valid submission; no score\n".utf8))
            throw ExitCode(1)
        }

        let scores = EvaluationScores(
            rows: truth.ids.count,
            logLoss: try Metrics.logLoss(probabilities: probabilities, labels: truth.labels),
            accuracy: try Metrics.accuracy(probabilities: probabilities, labels: truth.labels),
            ece: try Metrics.expectedCalibrationError(probabilities: probabilities, labels: truth.labels, bins: bins),
            confusionMatrix: try Metrics.confusionMatrix(probabilities: probabilities, labels: truth.labels),
            labels: Winner.allCases.map(\.name))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(scores), as: UTF8.self))
        } else {
            print(render(scores))
        }
    }

    /// The id and winner of every row of a labelled file, in file order.
    ///
    /// Rows whose text cells do not decode are kept (`keepRaw`): only the id and the label
    /// matter here, and a dropped row would make the submission's row for it look extra.
    static func readLabels(path: String) throws(DataError) -> (ids: [String], labels: [Int]) {
        let reader = try BattleReader(path: path, options: LoadOptions(labels: .required, decodeFailures: .keepRaw))
        var ids: [String] = []
        var labels: [Int] = []
        while let battle = try reader.next() {
            guard let winner = battle.winner else {
                throw DataError.invalidArgument("\(path): id \(battle.id) has no winner; expected labelled data")
            }
            ids.append(battle.id)
            labels.append(winner.rawValue)
        }
        return (ids, labels)
    }

    private func render(_ scores: EvaluationScores) -> String {
        var lines = [
            "\(predictions) scored against \(labels)",
            "  rows        \(scores.rows)",
            "  log loss    " + String(format: "%.6f", scores.logLoss),
            "  accuracy    " + String(format: "%.4f", scores.accuracy),
            "  ECE         " + String(format: "%.4f", scores.ece) + " (\(bins) bins)",
            "",
            "Confusion matrix (rows: true winner, columns: predicted)",
        ]
        let names = scores.labels
        let width = max(names.map(\.count).max() ?? 0, String(scores.rows).count) + 2
        func padded(_ text: String) -> String { String(repeating: " ", count: max(width - text.count, 0)) + text }
        lines.append("  " + String(repeating: " ", count: width) + names.map(padded).joined())
        for (name, row) in zip(names, scores.confusionMatrix) {
            lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + row.map { padded(String($0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

/// What `arena evaluate` prints; the JSON keys are the snake-case property names.
struct EvaluationScores: Encodable {
    var rows: Int
    var logLoss: Double
    var accuracy: Double
    var ece: Double
    /// `[true][predicted]`, classes in the order of `labels`.
    var confusionMatrix: [[Int]]
    var labels: [String]
}
