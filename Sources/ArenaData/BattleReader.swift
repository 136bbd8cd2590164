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
    public convenience init(path: String, options: LoadOptions) throws(DataError) {
        switch try DataFormat(path: path) {
        case .kaggleCSV:
            let reader: CSVReader
            do { reader = try CSVReader(path: path) } catch { throw DataError.csv(error) }
            try self.init(path: path, options: options, csv: reader)
        case .jsonLines:
            self.init(path: path, options: options, jsonLines: try JSONLinesReader(path: path))
        }
    }

    /// Reads a file held in memory; `name` stands for the file name in messages and its
    /// extension gives the format, as for a file.
    public convenience init(bytes: [UInt8], name: String, options: LoadOptions) throws(DataError) {
        switch try DataFormat(path: name) {
        case .kaggleCSV:
            try self.init(path: name, options: options, csv: CSVReader(bytes: bytes, name: name))
        case .jsonLines:
            self.init(path: name, options: options, jsonLines: try JSONLinesReader(bytes: bytes, name: name))
        }
    }

    private init(path: String, options: LoadOptions, csv reader: CSVReader) throws(DataError) {
        self.path = path
        self.options = options
        self.report = LoadReport(path: path)
        var header = CSVRecord()
        let hasHeader: Bool
        do { hasHeader = try reader.next(into: &header) } catch { throw DataError.csv(error) }
        guard hasHeader else { throw DataError.emptyFile(path: path) }
        let columns = try BattleReader.kaggleColumns(header: header.strings, path: path, options: options, report: &report)
        report.hasLabels = columns.winners != nil
        csvReader = reader
        csvColumns = columns
    }

    private init(path: String, options: LoadOptions, jsonLines: JSONLinesReader) {
        self.path = path
        self.options = options
        self.report = LoadReport(path: path)
        report.hasLabels = options.labels == .required
        jsonLinesReader = jsonLines
    }

    /// The columns arena reads from a Kaggle CSV.
    static let readColumns = [KaggleColumn.id, KaggleColumn.modelA, KaggleColumn.modelB] + KaggleColumn.texts + KaggleColumn.winners

    static func kaggleColumns(header: [String], path: String, options: LoadOptions, report: inout LoadReport)
        throws(DataError) -> KaggleColumns
    {
        var index: [String: Int] = [:]
        var positions: [String: [Int]] = [:]
        for (position, name) in header.enumerated() {
            if index[name] == nil { index[name] = position }
            positions[name, default: []].append(position + 1)
        }
        // A repeated column: an error when arena reads it (which copy holds the data?), a
        // warning otherwise. Reported in header order.
        var reported = Set<String>()
        for name in header where !reported.contains(name) {
            reported.insert(name)
            guard let seen = positions[name], seen.count > 1 else { continue }
            if readColumns.contains(name) {
                throw DataError.duplicateColumn(path: path, column: name, first: seen[0], second: seen[1])
            }
            report.repeatedIgnoredColumns.append((name, seen))
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

    /// Checks that `id` is new, and notes one with surrounding whitespace (kept as written).
    private func checkID(_ id: String, line: Int) throws(DataError) {
        if isBlankText(id) { throw DataError.missingID(path: path, line: line) }
        if let first = seenIDs[id] { throw DataError.duplicateID(path: path, line: line, id: id, firstLine: first) }
        seenIDs[id] = line
        if hasSurroundingWhitespace(id) {
            report.idsWithWhitespace += 1
            if report.idsWithWhitespaceExamples.count < LoadReport.exampleLimit {
                report.idsWithWhitespaceExamples.append((line, id))
            }
        }
    }

    /// Decodes one CSV record; nil when the row is skipped.
    private func battle(from record: CSVRecord, columns: KaggleColumns) throws(DataError) -> Battle? {
        report.rowsRead += 1
        guard record.count == columns.count else {
            throw DataError.wrongFieldCount(path: path, line: record.line, expected: columns.count, found: record.count)
        }
        var repairs = TextRepairs()
        // The id is kept byte for byte: a submission must echo it.
        var idRepairs = TextRepairs()
        let id = record.string(columns.id, repairs: &idRepairs)
        if idRepairs.total > 0 {
            throw DataError.invalidID(
                path: path, line: record.line,
                reason: "the id \(shownID(id)) is not valid UTF-8 (\(idRepairs.total) invalid byte sequence\(idRepairs.total == 1 ? "" : "s"), shown as U+FFFD); expected UTF-8 text, which a submission can echo byte for byte")
        }
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

    /// Decodes one JSON Lines record (with `BattleJSON`, the decoder `arena serve` uses too).
    private func battle(jsonLine bytes: UnsafeBufferPointer<UInt8>, line: Int) throws(DataError) -> Battle? {
        report.rowsRead += 1
        let value: JSONValue
        let repairs: TextRepairs
        do {
            (value, repairs) = try JSONParser.parse(bytes)
        } catch {
            throw DataError.invalidJSONLine(path: path, line: line, reason: "not valid JSON (\(error.description))")
        }
        var battle: Battle
        do {
            battle = try BattleJSON.battle(from: value, winner: options.labels == .required ? .required : .optional)
        } catch {
            throw DataError.invalidJSONLine(path: path, line: line, reason: error.description)
        }
        try checkID(battle.id, line: line)
        if battle.winner != nil { report.hasLabels = true }
        battle.notes.repairedCharacters = repairs.total
        report.nullTurns += battle.notes.nullTurns.reduce(0, +)
        report.repairedCharacters += repairs.total
        return battle
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

    convenience init(path: String) throws(DataError) {
        try self.init(bytes: try readFile(path: path), name: path)
    }

    /// Reads records from `contents`; `name` stands for the file name in messages.
    init(bytes contents: [UInt8], name path: String) throws(DataError) {
        if let content = BinaryContent.detect(contents.prefix(BinaryContent.inspectedLength)) {
            throw DataError.csv(.notText(path: path, content: content, expected: "JSON Lines text"))
        }
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
