// Kaggle submission files: a header `id,winner_model_a,winner_model_b,winner_tie` and one row of
// probabilities per battle. The writer is what `arena predict` produces; the reader checks a
// file the way the competition's grader did and reports every problem at once.

/// Writes and reads Kaggle submission files.
public enum SubmissionFile {
    /// The header of a submission, in order.
    public static let columns = [KaggleColumn.id] + KaggleColumn.winners
    /// How far a row's probabilities may sum from 1.
    public static let sumTolerance = 1e-6

    /// Writes a submission atomically: the header, then one row per id in the given order.
    ///
    /// Numbers are written as the shortest decimal that reads back as the same `Double`, so a
    /// row that sums to 1 in memory still sums to 1 in the file.
    /// - Parameters:
    ///   - ids: the battle ids, one per row.
    ///   - probabilities: one row of P(A wins), P(B wins), P(tie) per id.
    /// - Throws: `DataError.invalidArgument` when the counts differ or a value is NaN or
    ///   infinite; `DataError.writeFailed` when the file cannot be written.
    public static func write(ids: [String], probabilities: [WinnerProbabilities], to path: String) throws(DataError) {
        guard ids.count == probabilities.count else {
            throw DataError.invalidArgument(
                "\(path): \(ids.count) ids but \(probabilities.count) probability rows; expected one row per id")
        }
        var writer = CSVWriter()
        writer.write(columns)
        for (id, row) in zip(ids, probabilities) {
            if let bad = row.firstIndex(where: { !$0.isFinite }) {
                throw DataError.invalidArgument(
                    "\(path): id \(id), column \(KaggleColumn.winners[bad]): \(row[bad]); expected a finite probability")
            }
            writer.write([id] + row.map { "\($0)" })
        }
        try AtomicFile.write(writer.take(), to: path)
    }

    /// Reads and checks the submission at `path`. Never throws: a file that cannot be read is
    /// reported as a violation like any other problem.
    public static func read(path: String) -> SubmissionCheck {
        let reader: CSVReader
        do {
            reader = try CSVReader(path: path)
        } catch {
            var check = SubmissionCheck(path: path)
            check.record(.unreadable(.csv(error)))
            return check
        }
        return read(reader)
    }

    /// Reads and checks a submission held in memory; `name` stands for the file name in messages.
    public static func read(bytes: [UInt8], name: String) -> SubmissionCheck {
        read(CSVReader(bytes: bytes, name: name))
    }

    private static func read(_ reader: CSVReader) -> SubmissionCheck {
        let path = reader.path
        var check = SubmissionCheck(path: path)
        var record = CSVRecord()
        do {
            guard try reader.next(into: &record) else {
                check.record(.emptyFile(path: path))
                return check
            }
            let header = record.strings
            let missing = columns.filter { !header.contains($0) }
            guard missing.isEmpty else {
                let renames = likelyRenames(missing: missing, found: header.filter { !columns.contains($0) })
                for column in missing {
                    let closest = renames.first { $0.missing == column }?.found
                    check.record(.missingColumn(path: path, column: column, closest: closest, header: header))
                }
                return check
            }
            for column in columns {
                let found = header.indices.filter { header[$0] == column }
                if found.count > 1 {
                    check.record(.duplicateColumn(path: path, column: column, first: found[0] + 1, second: found[1] + 1))
                }
            }
            guard check.violations.isEmpty else { return check }
            let positions = columns.compactMap { header.firstIndex(of: $0) }
            while try reader.next(into: &record) {
                check.readRow(record, fieldCount: header.count, positions: positions)
            }
            if check.ids.isEmpty && check.violations.isEmpty {
                check.record(.noRows(path: path))
            }
        } catch {
            check.record(.unreadable(.csv(error)))
        }
        return check
    }
}

/// One thing wrong with a submission file, as the competition's grader would have rejected it.
/// Each description names the file and, where there is one, the line, the id and the column,
/// and says what was expected.
public enum SubmissionViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened, or is not valid CSV from some line on.
    case unreadable(DataError)
    /// The file has no header.
    case emptyFile(path: String)
    /// The file has a header and no rows.
    case noRows(path: String)
    /// A required column is absent; `closest` is an unused header name that looks like it.
    case missingColumn(path: String, column: String, closest: String?, header: [String])
    /// A required column appears twice in the header (1-based positions).
    case duplicateColumn(path: String, column: String, first: Int, second: Int)
    /// A row has more or fewer fields than the header.
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    /// A row's id is empty.
    case emptyID(path: String, line: Int)
    /// A probability cell does not hold a number.
    case notANumber(path: String, line: Int, id: String, column: String, value: String)
    /// A probability is negative, above 1, NaN or infinite.
    case outOfRange(path: String, line: Int, id: String, column: String, value: Double)
    /// A row's probabilities do not sum to 1 within `SubmissionFile.sumTolerance`.
    case rowSum(path: String, line: Int, id: String, sum: Double)
    /// An id appears on more than one row.
    case duplicateID(path: String, line: Int, id: String, firstLine: Int)
    /// The labelled file has an id that the submission lacks.
    case idMissing(path: String, id: String, labelsPath: String)
    /// The submission has an id that the labelled file lacks.
    case idNotInLabels(path: String, line: Int, id: String, labelsPath: String)

    /// The kinds of violation, in the order they are reported.
    public enum Kind: Int, CaseIterable, Sendable, Comparable {
        case unreadable, emptyFile, noRows, missingColumn, duplicateColumn, wrongFieldCount, emptyID, notANumber, outOfRange,
            rowSum, duplicateID, idMissing, idNotInLabels

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }

        /// `count` violations of this kind, in words: "1 duplicate id", "12 rows that do not sum to 1".
        public func counted(_ count: Int) -> String {
            let (one, many): (String, String)
            switch self {
            case .unreadable: (one, many) = ("read error", "read errors")
            case .emptyFile: (one, many) = ("empty file", "empty files")
            case .noRows: (one, many) = ("file without rows", "files without rows")
            case .missingColumn: (one, many) = ("missing column", "missing columns")
            case .duplicateColumn: (one, many) = ("repeated column", "repeated columns")
            case .wrongFieldCount: (one, many) = ("row with the wrong number of fields", "rows with the wrong number of fields")
            case .emptyID: (one, many) = ("row without an id", "rows without an id")
            case .notANumber: (one, many) = ("value that is not a number", "values that are not numbers")
            case .outOfRange: (one, many) = ("probability outside [0, 1]", "probabilities outside [0, 1]")
            case .rowSum: (one, many) = ("row that does not sum to 1", "rows that do not sum to 1")
            case .duplicateID: (one, many) = ("duplicate id", "duplicate ids")
            case .idMissing: (one, many) = ("id missing from the submission", "ids missing from the submission")
            case .idNotInLabels: (one, many) = ("id not in the labelled file", "ids not in the labelled file")
            }
            return "\(count) \(count == 1 ? one : many)"
        }
    }

    public var kind: Kind {
        switch self {
        case .unreadable: return .unreadable
        case .emptyFile: return .emptyFile
        case .noRows: return .noRows
        case .missingColumn: return .missingColumn
        case .duplicateColumn: return .duplicateColumn
        case .wrongFieldCount: return .wrongFieldCount
        case .emptyID: return .emptyID
        case .notANumber: return .notANumber
        case .outOfRange: return .outOfRange
        case .rowSum: return .rowSum
        case .duplicateID: return .duplicateID
        case .idMissing: return .idMissing
        case .idNotInLabels: return .idNotInLabels
        }
    }

    private static let expectedProbability = "expected a probability between 0 and 1"
    private static var expectedHeader: String { SubmissionFile.columns.joined(separator: ",") }

    public var description: String {
        switch self {
        case let .unreadable(error):
            return error.description
        case let .emptyFile(path):
            return "\(path): the file is empty; expected the header \(Self.expectedHeader) and one row per id"
        case let .noRows(path):
            return "\(path): the file has a header but no rows; expected one row per id"
        case let .missingColumn(path, column, closest, header):
            var text = "\(path): line 1: no column \(column); the header has \(shownHeader(header, separator: ","))"
            if let closest {
                text += " ('\(closest)' looks like '\(column)': rename it)"
            } else {
                text += "; expected \(Self.expectedHeader)"
            }
            return text
        case let .duplicateColumn(path, column, first, second):
            return "\(path): line 1: column \(column) appears twice in the header, as column \(first) and column \(second); expected each column once"
        case let .wrongFieldCount(path, line, expected, found):
            return "\(path): line \(line): \(found) fields where the header has \(expected); expected one id and three probabilities"
        case let .emptyID(path, line):
            return "\(path): line \(line): the id is empty; every row needs the id of a battle"
        case let .notANumber(path, line, id, column, value):
            let shown = value.isEmpty ? "the cell is empty" : "'\(value)' is not a number"
            return "\(path): line \(line), id \(shownID(id)), column \(column): \(shown); \(Self.expectedProbability)"
        case let .outOfRange(path, line, id, column, value):
            let problem: String
            if value.isNaN {
                problem = "NaN"
            } else if value.isInfinite {
                problem = "\(value) is infinite"
            } else if value < 0 {
                problem = "\(value) is negative"
            } else {
                problem = "\(value) is greater than 1"
            }
            return "\(path): line \(line), id \(shownID(id)), column \(column): \(problem); \(Self.expectedProbability)"
        case let .rowSum(path, line, id, sum):
            return "\(path): line \(line), id \(shownID(id)): the probabilities sum to \(sum); expected \(KaggleColumn.winners.joined(separator: " + ")) = 1 within \(SubmissionFile.sumTolerance)"
        case let .duplicateID(path, line, id, firstLine):
            return "\(path): line \(line): id \(shownID(id)) already appears on line \(firstLine); expected each id once"
        case let .idMissing(path, id, labelsPath):
            return "\(path): no row for id \(shownID(id)), which is in \(labelsPath); expected one row for every labelled id"
        case let .idNotInLabels(path, line, id, labelsPath):
            return "\(path): line \(line): id \(shownID(id)) is not in \(labelsPath); expected only the labelled ids"
        }
    }
}

/// A submission file as read: its rows and every violation found.
///
/// Rows are kept even when something in them is wrong (a value that does not parse reads as
/// NaN), so that their ids still count when the ids are compared with a labelled file.
public struct SubmissionCheck: Sendable {
    /// The file as the user named it.
    public let path: String
    /// The id of every row that has one, in file order.
    public private(set) var ids: [String] = []
    /// The 1-based line on which each row starts.
    public private(set) var lines: [Int] = []
    /// P(A wins), P(B wins), P(tie) for each row; NaN where a value did not parse.
    public private(set) var probabilities: [WinnerProbabilities] = []
    /// Everything wrong with the file, in the order found.
    public private(set) var violations: [SubmissionViolation] = []
    /// Row index of the first row with each id.
    private var rowOfID: [String: Int] = [:]
    /// False when the file's structure (header, CSV syntax) kept its rows from being read.
    private var rowsAreComplete = true

    public init(path: String) { self.path = path }

    /// True when nothing is wrong.
    public var isValid: Bool { violations.isEmpty }

    mutating func record(_ violation: SubmissionViolation) {
        violations.append(violation)
        switch violation.kind {
        case .unreadable, .emptyFile, .noRows, .missingColumn, .duplicateColumn: rowsAreComplete = false
        default: break
        }
    }

    /// Reads one data row; `positions` are the field indices of `SubmissionFile.columns`.
    mutating func readRow(_ record: CSVRecord, fieldCount: Int, positions: [Int]) {
        let line = record.line
        if record.count != fieldCount {
            self.record(.wrongFieldCount(path: path, line: line, expected: fieldCount, found: record.count))
        }
        guard positions[0] < record.count else { return }
        // Kept byte for byte, as the reader of the labelled file keeps its ids.
        let id = record.string(positions[0])
        guard !isBlankText(id) else {
            self.record(.emptyID(path: path, line: line))
            return
        }
        if let first = rowOfID[id] {
            self.record(.duplicateID(path: path, line: line, id: id, firstLine: lines[first]))
        } else {
            rowOfID[id] = ids.count
        }
        var row = WinnerProbabilities(modelA: .nan, modelB: .nan, tie: .nan)
        var allInRange = true
        for (winner, position) in zip(Winner.allCases, positions.dropFirst()) {
            guard position < record.count else {
                allInRange = false
                continue
            }
            let column = winner.kaggleColumn
            let text = record.string(position).trimmingSpaces()
            guard let value = Double(text) else {
                self.record(.notANumber(path: path, line: line, id: id, column: column, value: text))
                allInRange = false
                continue
            }
            if !(0...1).contains(value) {
                self.record(.outOfRange(path: path, line: line, id: id, column: column, value: value))
                allInRange = false
            }
            row[winner] = value
        }
        // A sum is only worth reporting when each value is itself a probability.
        if allInRange {
            let sum = row.reduce(0, +)
            if abs(sum - 1) > SubmissionFile.sumTolerance {
                self.record(.rowSum(path: path, line: line, id: id, sum: sum))
            }
        }
        ids.append(id)
        lines.append(line)
        probabilities.append(row)
    }

    /// Adds a violation for every id of `labelIDs` that has no row here (in `labelIDs` order),
    /// and for every row whose id is not in `labelIDs` (in file order). Does nothing when the
    /// file's rows could not all be read, as every id would then be reported.
    public mutating func compareIDs(with labelIDs: [String], labelsPath: String) {
        guard rowsAreComplete else { return }
        let labelled = Set(labelIDs)
        for id in labelIDs where rowOfID[id] == nil {
            record(.idMissing(path: path, id: id, labelsPath: labelsPath))
        }
        for (id, line) in zip(ids, lines) where !labelled.contains(id) {
            record(.idNotInLabels(path: path, line: line, id: id, labelsPath: labelsPath))
        }
    }

    /// The probability rows in the order of `ids`, or nil when one of them has no row.
    public func probabilities(orderedBy ids: [String]) -> [WinnerProbabilities]? {
        var rows: [WinnerProbabilities] = []
        rows.reserveCapacity(ids.count)
        for id in ids {
            guard let row = rowOfID[id] else { return nil }
            rows.append(probabilities[row])
        }
        return rows
    }

    /// One message per violation, grouped by kind: the first `limit` of each kind, then a line
    /// with the count of the rest; last, a line with the total when there is more than one.
    public func messages(limit: Int = 10) -> [String] {
        var lines: [String] = []
        var counts: [SubmissionViolation.Kind: Int] = [:]
        for violation in violations { counts[violation.kind, default: 0] += 1 }
        for kind in SubmissionViolation.Kind.allCases {
            guard let count = counts[kind] else { continue }
            lines += violations.lazy.filter { $0.kind == kind }.prefix(limit).map(\.description)
            if count > limit {
                lines.append("\(path): ... and \(count - limit) more like these (\(kind.counted(count)) in all)")
            }
        }
        if violations.count > 1 {
            let summary = SubmissionViolation.Kind.allCases.compactMap { kind in
                counts[kind].map { kind.counted($0) }
            }
            lines.append("\(path): \(violations.count) problems: \(summary.joined(separator: ", "))")
        }
        return lines
    }
}
