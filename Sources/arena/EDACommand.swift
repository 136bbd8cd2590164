import ArenaData
import ArgumentParser
import Foundation

struct EDACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eda",
        abstract: "Summarise a data set: class balance, LLMs and win rates, turns, lengths, biases, problems.",
        discussion: """
            Reads a Kaggle CSV (train.csv or test.csv schema) or JSON Lines file in one streaming \
            pass. Rows whose text cells are not JSON lists of turns are counted as decode failures \
            and left out of the other figures.
            """
    )

    @Argument(help: "The data file (.csv in the Kaggle schema, or .jsonl).")
    var data: String

    @Flag(help: "Print one JSON object instead of the text summary.")
    var json = false

    @Option(help: "How many LLMs to list, most frequent first.")
    var top = 15

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard top >= 0 else { throw ValidationError("--top must be 0 or more (got \(top))") }
    }

    func run() throws {
        let summary = try DatasetSummary.summarize(path: data)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(EDACommand.render(summary, top: top))
        }
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "-" : String(format: "%.1f%%", 100 * Double(part) / Double(whole))
    }

    static func render(_ summary: DatasetSummary, top: Int) -> String {
        var lines: [String] = []
        let rows = summary.rows
        lines.append("\(summary.path): \(rows) rows")
        if summary.decodeFailures > 0 || summary.nullTurns > 0 || summary.repairedCharacters > 0 {
            lines.append(
                "  decode failures \(summary.decodeFailures) of \(summary.rowsRead) (\(percent(summary.decodeFailures, summary.rowsRead))), null turns \(summary.nullTurns), repaired characters \(summary.repairedCharacters)"
            )
            for example in summary.decodeFailureExamples { lines.append("    \(example)") }
        }

        lines.append("")
        if let counts = summary.classCounts {
            lines.append("Class balance")
            lines.append("  model_a \(counts.modelA) (\(percent(counts.modelA, counts.total)))")
            lines.append("  model_b \(counts.modelB) (\(percent(counts.modelB, counts.total)))")
            lines.append("  tie     \(counts.tie) (\(percent(counts.tie, counts.total)))")
            if let share = counts.positionBiasAWinShare, let z = counts.positionBiasZ {
                lines.append(
                    String(format: "Position bias: A wins %.1f%% of decisive votes (z = %.2f; 50%% is none)", 100 * share, z))
            }
        } else {
            lines.append("No labels (winner columns absent).")
        }

        if !summary.models.isEmpty && top > 0 {
            lines.append("")
            lines.append("LLMs (\(summary.models.count) in all; top \(min(top, summary.models.count)) by battles)")
            let width = max(10, summary.models.prefix(top).map(\.name.count).max() ?? 10)
            lines.append("  " + "model".padding(toLength: width, withPad: " ", startingAt: 0) + "  battles   win rate")
            for model in summary.models.prefix(top) {
                let rate = model.winRate.map { String(format: "%7.1f%%", 100 * $0) } ?? "      -"
                lines.append(
                    "  " + model.name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + String(format: "  %7d   ", model.battles) + rate)
            }
        }

        lines.append("")
        lines.append("Turns per row")
        for entry in summary.turnsPerRow {
            lines.append(String(format: "  %3d: %7d", entry.turns, entry.rows) + " (\(percent(entry.rows, rows)))")
        }

        lines.append("")
        lines.append("Lengths in characters   mean  median    p10    p90    p99     max")
        for (name, stats) in [("prompt", summary.promptLength), ("response", summary.responseLength)] {
            lines.append(
                "  " + name.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + String(
                        format: " %6.0f  %6.0f %6.0f %6.0f %6.0f %7d", stats.mean, stats.median, stats.p10, stats.p90,
                        stats.p99, stats.max))
        }

        lines.append("")
        lines.append("Verbosity bias: length of A - length of B (characters) against the winner")
        lines.append("  bucket            rows    P(A)    P(B)  P(tie)")
        for bucket in summary.lengthDifference {
            let labelled = bucket.winsA + bucket.winsB + bucket.ties
            func share(_ count: Int) -> String { labelled == 0 ? "     -" : String(format: "%6.3f", Double(count) / Double(labelled)) }
            lines.append(
                "  " + bucket.label.padding(toLength: 15, withPad: " ", startingAt: 0)
                    + String(format: " %6d  ", bucket.rows) + share(bucket.winsA) + "  " + share(bucket.winsB) + "  "
                    + share(bucket.ties))
        }

        lines.append("")
        lines.append("Problems")
        lines.append("  duplicate rows (same prompt and responses): \(summary.duplicates)")
        let empty = summary.emptyResponses
        lines.append("  empty responses: A \(empty.responseA), B \(empty.responseB), both \(empty.both)")
        let same = summary.identicalResponses
        var identical = "  identical responses: \(same.rows)"
        if same.winsA + same.winsB + same.ties > 0 {
            identical += " (A \(same.winsA), B \(same.winsB), tie \(same.ties))"
        }
        lines.append(identical)
        return lines.joined(separator: "\n")
    }
}
