// Reads battles from a Kaggle CSV (train.csv or test.csv schema) or from JSON Lines.

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

    public init(path: String) { self.path = path }

    /// Human-readable warnings, one per kind of problem, with the first examples.
    public var warnings: [String] {
        var lines: [String] = []
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

/// Reads battles one at a time, so that a large file is never held whole.
///
///     let reader = try BattleReader(path: "train.csv", options: .training)
///     while let battle = try reader.next() { ... }
///     for warning in reader.report.warnings { print(warning) }
public final class BattleReader {
    public let path: String
    public let options: LoadOptions
    public private(set) var report: LoadReport
    private var csvReader: CSVReader?
    private var csvColumns: KaggleColumns?
    private var record = CSVRecord()
    private var jsonLinesReader: JSONLinesReader?
    private var seenIDs: [String: Int] = [:]

    /// Column positions in a Kaggle CSV header.
    struct KaggleColumns {
        var count: Int
        var id: Int
        var modelA: Int?
        var modelB: Int?
        var texts: [Int]
        var winners: [Int]?
    }

    /// Opens `path`, reads its header and checks the columns.
    public init(path: String, options: LoadOptions) throws(DataError) {
        self.path = path
        self.options = options
        self.report = LoadReport(path: path)
        switch try DataFormat(path: path) {
        case .kaggleCSV:
            let reader: CSVReader
            do { reader = try CSVReader(path: path) } catch { throw DataError.csv(error) }
            var header = CSVRecord()
            let hasHeader: Bool
            do { hasHeader = try reader.next(into: &header) } catch { throw DataError.csv(error) }
            guard hasHeader else { throw DataError.emptyFile(path: path) }
            let columns = try BattleReader.kaggleColumns(header: header.strings, path: path, options: options)
            report.hasLabels = columns.winners != nil
            csvReader = reader
            csvColumns = columns
        case .jsonLines:
            let lines = try JSONLinesReader(path: path)
            report.hasLabels = options.labels == .required
            jsonLinesReader = lines
        }
    }

    static func kaggleColumns(header: [String], path: String, options: LoadOptions) throws(DataError) -> KaggleColumns {
        var index: [String: Int] = [:]
        for (position, name) in header.enumerated() where index[name] == nil {
            index[name] = position
        }
        var required = [KaggleColumn.id] + KaggleColumn.texts
        let winnerColumns = KaggleColumn.winners
        let presentWinners = winnerColumns.filter { index[$0] != nil }
        let wantWinners = options.labels == .required || !presentWinners.isEmpty
        if wantWinners { required += winnerColumns }
        let missing = required.filter { index[$0] == nil }
        if !missing.isEmpty {
            throw DataError.missingColumns(path: path, missing: missing, found: header)
        }
        func position(_ name: String) throws(DataError) -> Int {
            guard let position = index[name] else {
                throw DataError.missingColumns(path: path, missing: [name], found: header)
            }
            return position
        }
        var texts: [Int] = []
        for name in KaggleColumn.texts { texts.append(try position(name)) }
        var winners: [Int]?
        if wantWinners {
            winners = []
            for name in winnerColumns { winners?.append(try position(name)) }
        }
        return KaggleColumns(
            count: header.count, id: try position(KaggleColumn.id), modelA: index[KaggleColumn.modelA],
            modelB: index[KaggleColumn.modelB], texts: texts, winners: winners)
    }

    /// The next battle, or nil at the end of the file. Throws on the first fatal problem.
    public func next() throws(DataError) -> Battle? {
        while true {
            let candidate: Battle?
            if let reader = csvReader, let columns = csvColumns {
                let more: Bool
                do { more = try reader.next(into: &record) } catch { throw DataError.csv(error) }
                guard more else {
                    if report.rowsRead == 0 { throw DataError.noRows(path: path) }
                    return nil
                }
                candidate = try battle(from: record, columns: columns)
            } else if let reader = jsonLinesReader, let (line, bytes) = reader.nextLine() {
                candidate = try battle(jsonLine: bytes, line: line)
            } else {
                if report.rowsRead == 0 { throw DataError.noRows(path: path) }
                return nil
            }
            if let battle = candidate { return battle }
            // nil: the row was skipped and reported; read on.
        }
    }

    /// Reads the whole file.
    public static func readAll(path: String, options: LoadOptions) throws(DataError) -> (battles: [Battle], report: LoadReport) {
        let reader = try BattleReader(path: path, options: options)
        var battles: [Battle] = []
        while let battle = try reader.next() { battles.append(battle) }
        return (battles, reader.report)
    }

    // MARK: - Rows

    private func checkID(_ id: String, line: Int) throws(DataError) {
        if id.isEmpty { throw DataError.missingID(path: path, line: line) }
        if let first = seenIDs[id] { throw DataError.duplicateID(path: path, line: line, id: id, firstLine: first) }
        seenIDs[id] = line
    }

    /// Decodes one CSV record; nil when the row is skipped.
    private func battle(from record: CSVRecord, columns: KaggleColumns) throws(DataError) -> Battle? {
        report.rowsRead += 1
        guard record.count == columns.count else {
            throw DataError.wrongFieldCount(path: path, line: record.line, expected: columns.count, found: record.count)
        }
        var repairs = TextRepairs()
        let id = record.string(columns.id, repairs: &repairs).trimmingSpaces()
        try checkID(id, line: record.line)
        var winner: Winner?
        if let winners = columns.winners {
            winner = try parseWinnerFlags(record: record, columns: winners, id: id)
        }
        var notes = DecodeNotes()
        var texts: [[String]] = []
        for (position, column) in columns.texts.enumerated() {
            let name = KaggleColumn.texts[position]
            let parsed: (turns: [String], nullTurns: Int, repairs: TextRepairs)?
            var failureReason = ""
            do {
                parsed = try record.withField(column) { bytes throws(JSONParseError) in try JSONParser.parseTurns(bytes) }
            } catch {
                parsed = nil
                failureReason = error.description
            }
            if let parsed {
                texts.append(parsed.turns)
                notes.nullTurns[position] = parsed.nullTurns
                repairs += parsed.repairs
                continue
            }
            let raw = record.string(column, repairs: &repairs)
            let failure = DecodeFailure(
                path: path, line: record.line, id: id, column: name, reason: failureReason, excerpt: excerpt(raw))
            switch options.decodeFailures {
            case .fail:
                throw DataError.undecodableCell(failure)
            case .skip:
                report.skippedRows += 1
                if report.skippedExamples.count < LoadReport.exampleLimit { report.skippedExamples.append(failure) }
                return nil
            case .keepRaw:
                if notes.rawColumns.isEmpty {
                    report.rawCellRows += 1
                    if report.rawCellExamples.count < LoadReport.exampleLimit { report.rawCellExamples.append(failure) }
                }
                notes.rawColumns.append(name)
                texts.append([raw])
            }
        }
        notes.repairedCharacters = repairs.total
        report.nullTurns += notes.nullTurns.reduce(0, +)
        report.repairedCharacters += repairs.total
        func optionalText(_ column: Int?) -> String? {
            guard let column else { return nil }
            let text = record.string(column)
            return text.isEmpty ? nil : text
        }
        return Battle(
            id: id, modelA: optionalText(columns.modelA), modelB: optionalText(columns.modelB), prompt: texts[0],
            responseA: texts[1], responseB: texts[2], winner: winner, notes: notes)
    }

    private func parseWinnerFlags(record: CSVRecord, columns: [Int], id: String) throws(DataError) -> Winner {
        var set: [Winner] = []
        for (winner, column) in zip(Winner.allCases, columns) {
            let raw = record.string(column).trimmingSpaces()
            let name = winner.kaggleColumn
            switch raw {
            case "1", "1.0", "True", "true": set.append(winner)
            case "0", "0.0", "False", "false": break
            default:
                throw DataError.invalidLabel(
                    path: path, line: record.line, id: id, column: name, value: raw,
                    expected: "expected 0 or 1 (exactly one of \(KaggleColumn.winners.joined(separator: ", ")) is 1 in a labelled row)")
            }
        }
        guard set.count == 1 else {
            let what = set.isEmpty ? "no winner flag is set" : "\(set.count) winner flags are set (\(set.map(\.kaggleColumn).joined(separator: " and ")))"
            throw DataError.invalidLabel(
                path: path, line: record.line, id: id, column: KaggleColumn.winners.joined(separator: "/"),
                value: columns.map { record.string($0) }.joined(separator: ","),
                expected: "\(what); exactly one of \(KaggleColumn.winners.joined(separator: ", ")) must be 1")
        }
        return set[0]
    }

    /// Decodes one JSON Lines record; nil when the row is skipped.
    private func battle(jsonLine bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(DataError) -> Battle? {
        report.rowsRead += 1
        let value: JSONValue
        var repairs: TextRepairs
        do {
            (value, repairs) = try JSONParser.parse(bytes)
        } catch {
            throw DataError.invalidJSONLine(path: path, line: line, reason: "not valid JSON (\(error.description))")
        }
        guard case .object = value else {
            throw DataError.invalidJSONLine(path: path, line: line, reason: "expected a JSON object, found \(value.kindName)")
        }
        let id: String
        switch value["id"] {
        case let .string(text)?: id = text
        case let .number(_, literal)?: id = literal
        case nil, .null?:
            throw DataError.invalidJSONLine(path: path, line: line, reason: "field \"id\" is missing; every record needs an id")
        case let other?:
            throw DataError.invalidJSONLine(path: path, line: line, reason: "field \"id\" is \(other.kindName); expected a string or an integer")
        }
        try checkID(id, line: line)
        var notes = DecodeNotes()
        var texts: [[String]] = []
        for (position, name) in KaggleColumn.texts.enumerated() {
            switch value[name] {
            case let .string(text)?:
                texts.append([text])
            case let .array(elements)?:
                var turns: [String] = []
                for element in elements {
                    switch element {
                    case let .string(text): turns.append(text)
                    case .null:
                        turns.append("")
                        notes.nullTurns[position] += 1
                    default:
                        throw DataError.invalidJSONLine(
                            path: path, line: line,
                            reason: "id \(id), field \"\(name)\": a turn is \(element.kindName); expected a string or null")
                    }
                }
                texts.append(turns)
            case nil:
                throw DataError.invalidJSONLine(path: path, line: line, reason: "id \(id): field \"\(name)\" is missing")
            case let other?:
                throw DataError.invalidJSONLine(
                    path: path, line: line,
                    reason: "id \(id), field \"\(name)\" is \(other.kindName); expected a string or a list of strings")
            }
        }
        var winner: Winner?
        switch value["winner"] {
        case let .string(name)?:
            guard let parsed = Winner(name: name) else {
                throw DataError.invalidJSONLine(
                    path: path, line: line, reason: "id \(id), field \"winner\" is \"\(name)\"; expected \"model_a\", \"model_b\" or \"tie\"")
            }
            winner = parsed
        case nil, .null?:
            if options.labels == .required {
                throw DataError.invalidJSONLine(
                    path: path, line: line, reason: "id \(id): field \"winner\" is missing; training data needs \"model_a\", \"model_b\" or \"tie\"")
            }
        case let other?:
            throw DataError.invalidJSONLine(
                path: path, line: line, reason: "id \(id), field \"winner\" is \(other.kindName); expected \"model_a\", \"model_b\" or \"tie\"")
        }
        if winner != nil { report.hasLabels = true }
        func optionalName(_ key: String) -> String? {
            if case let .string(text)? = value[key], !text.isEmpty { return text }
            return nil
        }
        notes.repairedCharacters = repairs.total
        report.nullTurns += notes.nullTurns.reduce(0, +)
        report.repairedCharacters += repairs.total
        return Battle(
            id: id, modelA: optionalName("model_a"), modelB: optionalName("model_b"), prompt: texts[0],
            responseA: texts[1], responseB: texts[2], winner: winner, notes: notes)
    }

    private func excerpt(_ text: String) -> String {
        let limit = 60
        var shown = String(text.prefix(limit))
        shown = shown.replacingNewlines()
        return "'" + shown + (text.count > limit ? "…'" : "'")
    }
}

/// Reads a JSON Lines file line by line; blank lines are skipped.
final class JSONLinesReader {
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private var position = 0
    private var line = 0

    init(path: String) throws(DataError) {
        let contents = try readFile(path: path)
        if contents.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw DataError.emptyFile(path: path)
        }
        bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: contents.count)
        _ = bytes.initialize(from: contents)
        if contents.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    deinit { bytes.deallocate() }

    /// The next non-blank line and its 1-based number; the buffer is valid until the next call.
    func nextLine() -> (Int, UnsafeBufferPointer<UInt8>)? {
        while position < bytes.count {
            line += 1
            let start = position
            while position < bytes.count && bytes[position] != 0x0A { position += 1 }
            var stop = position
            position += 1
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            let isBlank = bytes[start..<stop].allSatisfy { $0 == 0x20 || $0 == 0x09 }
            if isBlank { continue }
            return (line, UnsafeBufferPointer(rebasing: bytes[start..<stop]))
        }
        return nil
    }
}

/// Reads a whole file into memory.
public func readFile(path: String) throws(DataError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
        throw DataError.csv(.cannotOpen(path: path, reason: String(cString: strerror(errno))))
    }
    defer { close(descriptor) }
    var info = stat()
    if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        throw DataError.csv(.cannotOpen(path: path, reason: "it is a directory"))
    }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        if count < 0 { throw DataError.csv(.readFailed(path: path, reason: String(cString: strerror(errno)))) }
        if count == 0 { break }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }

    func replacingNewlines() -> String {
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
