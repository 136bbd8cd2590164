// Reads battles from a Kaggle CSV (train.csv or test.csv schema) or from JSON Lines.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
