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
        "\(path): line \(line), id \(shownID(id)), column \(column): not a JSON list of turns (\(reason)); the cell starts with \(excerpt)"
    }
}

/// Errors reading or writing arena data files. Each names the file and, where there is one,
/// the line, the row id and the column, and says what was expected.
public enum DataError: Error, Equatable, Sendable {
    case csv(CSVError)
    case emptyFile(path: String)
    case noRows(path: String)
    case missingColumns(path: String, missing: [String], found: [String])
    /// A column that arena reads appears twice in the header (1-based positions).
    case duplicateColumn(path: String, column: String, first: Int, second: Int)
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    case invalidLabel(path: String, line: Int, id: String, column: String, value: String, expected: String)
    case duplicateID(path: String, line: Int, id: String, firstLine: Int)
    case missingID(path: String, line: Int)
    /// An id that cannot be kept byte for byte (not UTF-8 text).
    case invalidID(path: String, line: Int, reason: String)
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
            var text = "\(path): missing column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); the header has \(shownHeader(found, separator: ", "))"
            if !hints.isEmpty { text += " (\(hints.joined(separator: "; ")): rename \(hints.count == 1 ? "it" : "them"))" }
            return text
        case let .duplicateColumn(path, column, first, second):
            return "\(path): line 1: column '\(column)' appears twice in the header, as column \(first) and column \(second); expected each column once (which of the two holds the data?)"
        case let .wrongFieldCount(path, line, expected, found):
            return "\(path): line \(line): \(found) fields where the header has \(expected); is a field with a comma or a line break not quoted?"
        case let .invalidLabel(path, line, id, column, value, expected):
            return "\(path): line \(line), id \(shownID(id)), column \(column): \(value.isEmpty ? "empty" : "'\(value)'"): \(expected)"
        case let .duplicateID(path, line, id, firstLine):
            return "\(path): line \(line): id \(shownID(id)) already appears on line \(firstLine); ids must be unique"
        case let .missingID(path, line):
            return "\(path): line \(line): the id is empty; every row needs an id"
        case let .invalidID(path, line, reason):
            return "\(path): line \(line): \(reason)"
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

/// Whether `text` starts or ends with a whitespace character (Unicode White_Space).
func hasSurroundingWhitespace(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
    return first.properties.isWhitespace || last.properties.isWhitespace
}

/// Whether `text` is empty or only whitespace.
func isBlankText(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
}

/// An id as shown in messages: as written, or quoted with escapes when it has leading or
/// trailing whitespace or control characters (so that ' 7' and '7' can be told apart).
func shownID(_ id: String) -> String {
    let plain = !id.isEmpty && !hasSurroundingWhitespace(id)
        && !id.unicodeScalars.contains { $0.properties.generalCategory == .control }
    if plain { return id }
    var text = "'"
    for scalar in id.unicodeScalars {
        switch scalar {
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case "'": text += "\\'"
        case "\\": text += "\\\\"
        default:
            if scalar.properties.generalCategory == .control {
                text += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
    }
    return text + "'"
}

/// A header as shown in messages: at most 30 names, each cut to 60 characters, line breaks
/// escaped, so that a binary or runaway first line does not flood the terminal.
func shownHeader(_ names: [String], separator: String) -> String {
    let limit = 30
    var shown = names.prefix(limit).map { name -> String in
        let cut = name.count > 60 ? String(name.prefix(60)) + "…" : name
        return cut.replacingNewlines()
    }
    if names.count > limit { shown.append("… (\(names.count) columns in all)") }
    return shown.joined(separator: separator)
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
        let bound = max(2, name.count / 3)
        for candidate in found where !missing.contains(candidate) {
            // The distance is at least the difference in length: skip the quadratic work for a
            // name that cannot be close (a runaway header field can be megabytes long).
            guard abs(candidate.count - name.count) <= bound else { continue }
            let folded = distance(Array(candidate.lowercased()), Array(name.lowercased()))
            guard folded <= bound else { continue }
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
