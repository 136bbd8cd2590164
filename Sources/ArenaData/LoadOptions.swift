#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a reader treats labels and cells that do not decode.
public struct LoadOptions: Sendable, Equatable {
    public enum Labels: Sendable, Equatable {
        /// Every row must carry exactly one winner (training data).
        case required
        /// Labels are read when the file has them (test files have none).
        case optional
    }

    public enum DecodeFailures: Sendable, Equatable {
        /// The row is left out and reported (training data, by default).
        case skip
        /// The first such row stops the read (`--strict`).
        case fail
        /// The raw cell becomes one turn, with a warning: no row is ever dropped (prediction).
        case keepRaw
    }

    public var labels: Labels
    public var decodeFailures: DecodeFailures

    public init(labels: Labels, decodeFailures: DecodeFailures) {
        self.labels = labels
        self.decodeFailures = decodeFailures
    }

    /// Training input: labels required, undecodable rows skipped and reported.
    public static let training = LoadOptions(labels: .required, decodeFailures: .skip)
    /// Training input with `--strict`: an undecodable row is an error.
    public static let strictTraining = LoadOptions(labels: .required, decodeFailures: .fail)
    /// Prediction input: labels not needed, every row kept.
    public static let prediction = LoadOptions(labels: .optional, decodeFailures: .keepRaw)
    /// Data analysis: labels used when present, undecodable rows counted and left out.
    public static let analysis = LoadOptions(labels: .optional, decodeFailures: .skip)
}

/// What a read found besides the battles themselves.
public struct LoadReport: Sendable, Equatable {
    /// How many examples of each kind of problem are kept for display.
    public static let exampleLimit = 5

    public var path: String
    /// Data rows read (before any was skipped).
    public var rowsRead = 0
    /// Rows left out because a text cell did not decode.
    public var skippedRows = 0
    public var skippedExamples: [DecodeFailure] = []
    /// Rows whose undecodable cell was kept as one raw turn (prediction input).
    public var rawCellRows = 0
    public var rawCellExamples: [DecodeFailure] = []
    /// `null` turns read as empty turns.
    public var nullTurns = 0
    /// Characters replaced by U+FFFD: lone surrogate escapes and invalid UTF-8.
    public var repairedCharacters = 0
    /// Whether the file carries labels.
    public var hasLabels = false
    /// Columns that appear more than once in a CSV header but that arena does not read, with
    /// their 1-based positions (a repeated column that arena reads is an error).
    public var repeatedIgnoredColumns: [(name: String, positions: [Int])] = []
    /// Ids with leading or trailing whitespace, kept as written.
    public var idsWithWhitespace = 0
    /// The first of them: the line and the id.
    public var idsWithWhitespaceExamples: [(line: Int, id: String)] = []

    public init(path: String) { self.path = path }

    public static func == (lhs: LoadReport, rhs: LoadReport) -> Bool {
        lhs.path == rhs.path && lhs.rowsRead == rhs.rowsRead && lhs.skippedRows == rhs.skippedRows
            && lhs.skippedExamples == rhs.skippedExamples && lhs.rawCellRows == rhs.rawCellRows
            && lhs.rawCellExamples == rhs.rawCellExamples && lhs.nullTurns == rhs.nullTurns
            && lhs.repairedCharacters == rhs.repairedCharacters && lhs.hasLabels == rhs.hasLabels
            && lhs.repeatedIgnoredColumns.elementsEqual(rhs.repeatedIgnoredColumns) { $0 == $1 }
            && lhs.idsWithWhitespace == rhs.idsWithWhitespace
            && lhs.idsWithWhitespaceExamples.elementsEqual(rhs.idsWithWhitespaceExamples) { $0 == $1 }
    }

    /// Human-readable warnings, one per kind of problem, with the first examples.
    public var warnings: [String] {
        var lines: [String] = []
        for (name, positions) in repeatedIgnoredColumns.prefix(LoadReport.exampleLimit) {
            let shown = name.isEmpty ? "with an empty name" : "'\(shownHeader([name], separator: ""))'"
            let columns = positions.prefix(10).map(String.init).joined(separator: ", ") + (positions.count > 10 ? ", …" : "")
            lines.append(
                "\(path): line 1: column \(shown) appears \(positions.count) times in the header (columns \(columns)); arena does not read it, so it is ignored")
        }
        if repeatedIgnoredColumns.count > LoadReport.exampleLimit {
            lines.append("\(path): line 1: and \(repeatedIgnoredColumns.count - LoadReport.exampleLimit) more repeated columns that arena ignores")
        }
        if idsWithWhitespace > 0 {
            lines.append(
                "\(path): \(idsWithWhitespace) id\(idsWithWhitespace == 1 ? " has" : "s have") leading or trailing whitespace; ids are kept exactly as written (a submission echoes them, and ' 7' and '7' are different ids); first ones:")
            lines += idsWithWhitespaceExamples.map { "  line \($0.line): id \(shownID($0.id))" }
        }
        if skippedRows > 0 {
            lines.append("\(path): skipped \(skippedRows) of \(rowsRead) rows whose text cells are not JSON lists of turns (use --strict to stop instead); first ones:")
            lines += skippedExamples.map { "  \($0)" }
        }
        if rawCellRows > 0 {
            lines.append("\(path): \(rawCellRows) rows have a text cell that is not a JSON list of turns; each such cell is kept as one raw turn; first ones:")
            lines += rawCellExamples.map { "  \($0)" }
        }
        return lines
    }
}

/// The data formats the readers understand.
public enum DataFormat: String, Sendable, CaseIterable {
    case kaggleCSV = "csv"
    case jsonLines = "jsonl"

    /// The format implied by a file name (.csv, or .jsonl / .ndjson / .json).
    public init(path: String) throws(DataError) {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") {
            self = .kaggleCSV
        } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") {
            self = .jsonLines
        } else {
            throw DataError.unsupportedFormat(path: path)
        }
    }
}
