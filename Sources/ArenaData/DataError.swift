/// A row whose text cell could not be decoded as a list of turns.
public struct DecodeFailure: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var id: String
    public var column: String
    public var reason: String
    /// The start of the offending cell, shortened for display.
    public var excerpt: String

    public init(path: String, line: Int, id: String, column: String, reason: String, excerpt: String) {
        self.path = path
        self.line = line
        self.id = id
        self.column = column
        self.reason = reason
        self.excerpt = excerpt
    }

    public var description: String {
        "\(path): line \(line), id \(id), column \(column): not a JSON list of turns (\(reason)); the cell starts with \(excerpt)"
    }
}

/// Errors reading or writing arena data files. Each names the file and, where there is one,
/// the line, the row id and the column, and says what was expected.
public enum DataError: Error, Equatable, Sendable {
    case csv(CSVError)
    case emptyFile(path: String)
    case noRows(path: String)
    case missingColumns(path: String, missing: [String], found: [String])
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    case invalidLabel(path: String, line: Int, id: String, column: String, value: String, expected: String)
    case duplicateID(path: String, line: Int, id: String, firstLine: Int)
    case missingID(path: String, line: Int)
    case undecodableCell(DecodeFailure)
    case invalidJSONLine(path: String, line: Int, reason: String)
    case unsupportedFormat(path: String)
    case writeFailed(path: String, reason: String)
    case invalidArgument(String)
}

extension DataError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .csv(error):
            return error.description
        case let .emptyFile(path):
            return "\(path): the file is empty; expected a header line (id,prompt,response_a,response_b,... for CSV) or JSON Lines records"
        case let .noRows(path):
            return "\(path): the file has a header but no data rows"
        case let .missingColumns(path, missing, found):
            let hints = likelyRenames(missing: missing, found: found).map { "'\($0.found)' looks like '\($0.missing)'" }
            var text = "\(path): missing column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); the header has \(found.joined(separator: ", "))"
            if !hints.isEmpty { text += " (\(hints.joined(separator: "; ")): rename \(hints.count == 1 ? "it" : "them"))" }
            return text
        case let .wrongFieldCount(path, line, expected, found):
            return "\(path): line \(line): \(found) fields where the header has \(expected); is a field with a comma or a line break not quoted?"
        case let .invalidLabel(path, line, id, column, value, expected):
            return "\(path): line \(line), id \(id), column \(column): \(value.isEmpty ? "empty" : "'\(value)'"): \(expected)"
        case let .duplicateID(path, line, id, firstLine):
            return "\(path): line \(line): id \(id) already appears on line \(firstLine); ids must be unique"
        case let .missingID(path, line):
            return "\(path): line \(line): the id is empty; every row needs an id"
        case let .undecodableCell(failure):
            return failure.description + " (without --strict such training rows are skipped and reported)"
        case let .invalidJSONLine(path, line, reason):
            return "\(path): line \(line): \(reason)"
        case let .unsupportedFormat(path):
            return "\(path): unknown data format; expected a .csv file in the Kaggle schema or a .jsonl file of JSON Lines"
        case let .writeFailed(path, reason):
            return "\(path): cannot write (\(reason))"
        case let .invalidArgument(message):
            return message
        }
    }
}

/// Pairs each missing column name with the header name most likely meant for it (a different
/// case or a small typo), each header name used at most once, best matches first.
func likelyRenames(missing: [String], found: [String]) -> [(found: String, missing: String)] {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    var scored: [(score: Int, found: String, missing: String)] = []
    for name in missing {
        for candidate in found where !missing.contains(candidate) {
            let folded = distance(Array(candidate.lowercased()), Array(name.lowercased()))
            guard folded <= max(2, name.count / 3) else { continue }
            // A difference of case alone is the likeliest rename.
            let score = 2 * folded + (candidate == name ? 0 : 1)
            scored.append((score, candidate, name))
        }
    }
    var usedFound = Set<String>()
    var usedMissing = Set<String>()
    var pairs: [(found: String, missing: String)] = []
    for entry in scored.sorted(by: { ($0.score, $0.missing) < ($1.score, $1.missing) })
    where !usedFound.contains(entry.found) && !usedMissing.contains(entry.missing) {
        usedFound.insert(entry.found)
        usedMissing.insert(entry.missing)
        pairs.append((entry.found, entry.missing))
    }
    return pairs
}
