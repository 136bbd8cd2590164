import Foundation
import Testing

@testable import ArenaData

// Bad data files (issue 11, "Reliability"): each gets a clear error or warning naming the file,
// the line or row and the field, and saying what was expected. docs/RELIABILITY.md lists them.

/// Reads `bytes` as a file named `name` (in memory: messages name the file as given).
private func readFile(_ bytes: [UInt8], name: String, options: LoadOptions = .training) throws -> (
    battles: [Battle], report: LoadReport
) {
    let reader = try BattleReader(bytes: bytes, name: name, options: options)
    var battles: [Battle] = []
    while let battle = try reader.next() { battles.append(battle) }
    return (battles, reader.report)
}

private func read(_ text: String, name: String = "train.csv", options: LoadOptions = .training) throws -> (
    battles: [Battle], report: LoadReport
) {
    try readFile(Array(text.utf8), name: name, options: options)
}

/// The description of the DataError thrown by `body`, or nil when nothing is thrown.
private func errorText(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as DataError {
        return error.description
    } catch {
        return "unexpected \(type(of: error)): \(error)"
    }
}

private let testHeader = "id,prompt,response_a,response_b\n"

private func testRow(_ id: String) -> String {
    var writer = CSVWriter()
    writer.write([id, #"["p"]"#, #"["a"]"#, #"["b"]"#])
    return writer.take()
}

@Suite struct RepeatedColumnTests {
    @Test func aRepeatedColumnThatArenaReadsIsAnError() throws {
        let header = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie,prompt\n"
        var writer = CSVWriter()
        writer.write(["1", "x", "y", #"["p"]"#, #"["a"]"#, #"["b"]"#, "1", "0", "0", #"["other"]"#])
        let message = try #require(errorText { _ = try read(header + writer.take()) })
        #expect(message.contains("train.csv: line 1: column 'prompt' appears twice in the header, as column 4 and column 10"), "\(message)")
        #expect(message.contains("expected each column once"))
        // The same for an id column and for a winner column of a test file read for prediction.
        let ids = try #require(errorText { _ = try read("id,prompt,response_a,id,response_b\n", name: "test.csv", options: .prediction) })
        #expect(ids.contains("test.csv: line 1: column 'id' appears twice in the header, as column 1 and column 4"))
        let winners = "id,prompt,response_a,response_b,winner_tie,winner_model_a,winner_model_b,winner_tie\n"
        #expect(errorText { _ = try read(winners, name: "test.csv", options: .prediction) }?.contains("column 'winner_tie' appears twice") == true)
    }

    @Test func aRepeatedColumnThatArenaIgnoresIsAWarning() throws {
        let text = "Unnamed: 0,id,prompt,note,response_a,response_b,note,note\n"
            + "0,1,\"[\"\"p\"\"]\",x,\"[\"\"a\"\"]\",\"[\"\"b\"\"]\",y,z\n"
        let (battles, report) = try read(text, name: "test.csv", options: .prediction)
        #expect(battles.map(\.id) == ["1"])
        #expect(report.repeatedIgnoredColumns.map(\.name) == ["note"])
        #expect(report.repeatedIgnoredColumns.first?.positions == [4, 7, 8])
        #expect(report.warnings == [
            "test.csv: line 1: column 'note' appears 3 times in the header (columns 4, 7, 8); arena does not read it, so it is ignored"
        ])
    }

    @Test func aRepeatedSubmissionColumnIsAViolation() {
        let check = SubmissionFile.read(bytes: Array("id,winner_model_a,winner_model_b,winner_tie,winner_model_a\n1,0.2,0.3,0.5,0.9\n".utf8), name: "sub.csv")
        #expect(check.violations == [.duplicateColumn(path: "sub.csv", column: "winner_model_a", first: 2, second: 5)])
        #expect(check.messages() == [
            "sub.csv: line 1: column winner_model_a appears twice in the header, as column 2 and column 5; expected each column once"
        ])
    }
}

@Suite struct RunawayHeaderTests {
    /// A first line of megabytes (a binary file without a known signature, or a quote never
    /// closed) gives a short message, quickly: no rename hint is computed for names that cannot
    /// be close, and the header shown is cut.
    @Test func aHugeHeaderGivesAShortMessage() throws {
        let names = (0..<1000).map { "column\($0)" } + [String(repeating: "x", count: 1 << 20), "respnse_a"]
        let started = ContinuousClock.now
        let message = try #require(errorText { _ = try read(names.joined(separator: ",") + "\n1\n", name: "test.csv", options: .prediction) })
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(message.utf8.count < 2000, "\(message.utf8.count) bytes")
        #expect(message.hasPrefix("test.csv: missing columns id, prompt, response_a, response_b; the header has column0, column1,"))
        #expect(message.contains("(1002 columns in all)"))
        let submission = SubmissionFile.read(bytes: Array((names.joined(separator: ",") + "\n").utf8), name: "sub.csv")
        #expect(submission.messages().allSatisfy { $0.utf8.count < 2000 })
    }
}

@Suite struct IDWhitespaceTests {
    @Test func idsAreKeptByteForByteWithAWarning() throws {
        let text = testHeader + testRow(" 7") + testRow("7") + testRow("8\t") + testRow("9")
        let (battles, report) = try read(text, name: "test.csv", options: .prediction)
        #expect(battles.map(\.id) == [" 7", "7", "8\t", "9"])
        #expect(report.idsWithWhitespace == 2)
        #expect(report.idsWithWhitespaceExamples.map(\.line) == [2, 4])
        #expect(report.warnings.first == "test.csv: 2 ids have leading or trailing whitespace; ids are kept exactly as written (a submission echoes them, and ' 7' and '7' are different ids); first ones:")
        #expect(Array(report.warnings.dropFirst()) == ["  line 2: id ' 7'", "  line 4: id '8\\t'"])
    }

    @Test func aBlankIDIsMissing() throws {
        let message = errorText { _ = try read(testHeader + testRow("1") + testRow("   "), name: "test.csv", options: .prediction) }
        #expect(message == "test.csv: line 3: the id is empty; every row needs an id")
    }

    @Test func aDuplicateIDWithSpacesIsShownQuoted() throws {
        let message = errorText { _ = try read(testHeader + testRow("1 ") + testRow("1 "), name: "test.csv", options: .prediction) }
        #expect(message == "test.csv: line 3: id '1 ' already appears on line 2; ids must be unique")
    }

    @Test func anIDThatIsNotUTF8IsAnError() throws {
        let bytes = Array((testHeader + "1" ).utf8) + [0xFF] + Array(",\"[\"\"p\"\"]\",\"[\"\"a\"\"]\",\"[\"\"b\"\"]\"\n".utf8)
        let message = try #require(errorText { _ = try readFile(bytes, name: "test.csv", options: .prediction) })
        #expect(message.hasPrefix("test.csv: line 2: the id 1\u{FFFD} is not valid UTF-8 (1 invalid byte sequence"), "\(message)")
    }

    /// What `arena predict` writes for an id with spaces is what `arena evaluate` matches
    /// against the labelled file: neither side trims.
    @Test func submissionIDsAreNotTrimmedEither() {
        var check = SubmissionFile.read(
            bytes: Array("id,winner_model_a,winner_model_b,winner_tie\n 7,0.2,0.3,0.5\n8,0.2,0.3,0.5\n".utf8), name: "sub.csv")
        #expect(check.ids == [" 7", "8"])
        check.compareIDs(with: [" 7", "8 "], labelsPath: "labels.csv")
        #expect(check.messages() == [
            "sub.csv: no row for id '8 ', which is in labels.csv; expected one row for every labelled id",
            "sub.csv: line 3: id 8 is not in labels.csv; expected only the labelled ids",
            "sub.csv: 2 problems: 1 id missing from the submission, 1 id not in the labelled file",
        ])
    }
}

@Suite struct BinaryFileTests {
    static let gzip: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4B, 0x4C, 0x4A, 0x06, 0x00]
    static let zip: [UInt8] = Array("PK".utf8) + [0x03, 0x04, 0x14, 0x00] + Array("train.csv".utf8)

    @Test func aGzipFileNamedCSVIsRefused() throws {
        let message = errorText { _ = try readFile(Self.gzip, name: "train.csv") }
        #expect(message == "train.csv: this is a gzip-compressed file, not CSV text; decompress it first (gunzip)")
        // The same from a file on disk (its head is read with pread, then read again as CSV).
        let file = try TemporaryFile(bytes: Self.gzip, name: "train.csv")
        let fromDisk = try #require(errorText { _ = try BattleReader(path: file.path, options: .training) })
        #expect(fromDisk == file.path + ": this is a gzip-compressed file, not CSV text; decompress it first (gunzip)")
        let jsonl = try TemporaryFile(bytes: Self.gzip, name: "data.jsonl")
        #expect(errorText { _ = try BattleReader(path: jsonl.path, options: .training) }
            == jsonl.path + ": this is a gzip-compressed file, not JSON Lines text; decompress it first (gunzip)")
    }

    @Test func aZipFileNamedCSVIsRefused() throws {
        let message = try #require(errorText { _ = try readFile(Self.zip, name: "train.csv") })
        #expect(message.hasPrefix("train.csv: this is a zip archive (an .xlsx workbook is one too), not CSV text; extract the data file"))
    }

    @Test func aNULByteInTheFirstKilobyteIsRefused() throws {
        let bytes = Array((testHeader + testRow("1")).utf8) + [0x00] + Array(testRow("2").utf8)
        let message = try #require(errorText { _ = try readFile(bytes, name: "test.csv", options: .prediction) })
        #expect(message.hasPrefix("test.csv: this is a binary file (byte \(testHeader.utf8.count + testRow("1").utf8.count + 1) is a NUL byte"), "\(message)")
        #expect(message.contains("not CSV text"))
    }

    @Test func utf16IsRefusedWithAConversionHint() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in testHeader.utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let message = errorText { _ = try readFile(bytes, name: "test.csv", options: .prediction) }
        #expect(message == "test.csv: this is UTF-16 text (little-endian byte-order mark), not CSV text; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)")
    }

    @Test func aGzipFileNamedJSONLIsRefused() throws {
        let message = errorText { _ = try readFile(Self.gzip, name: "data.jsonl") }
        #expect(message == "data.jsonl: this is a gzip-compressed file, not JSON Lines text; decompress it first (gunzip)")
    }

    @Test func aGzipSubmissionIsUnreadable() {
        let check = SubmissionFile.read(bytes: Self.gzip, name: "sub.csv")
        #expect(check.messages() == ["sub.csv: this is a gzip-compressed file, not CSV text; decompress it first (gunzip)"])
    }

    @Test func textIsNotMistakenForBinary() {
        #expect(BinaryContent.detect(Array("id,prompt\n1,PK\u{3}\u{4}\n".utf8)) == nil)
        #expect(BinaryContent.detect(Array("BZh is how a bzip2 file starts".utf8)) == nil)
        #expect(BinaryContent.detect([UInt8]()) == nil)
        // A NUL byte after the first KiB is not looked for.
        #expect(BinaryContent.detect([UInt8](repeating: 0x41, count: 1024) + [0]) == nil)
        #expect(BinaryContent.detect([0x42, 0x5A, 0x68, 0x39, 0x31]) == .bzip2)
    }

    @Test func theFileReaderInspectsTheHeadWithoutConsumingIt() throws {
        // A file longer than the inspected head, read in small chunks, still reads whole.
        let text = testHeader + (1...200).map { testRow(String($0)) }.joined()
        let file = try TemporaryFile(text, name: "test.csv")
        let reader = try CSVReader(path: file.path, chunkSize: 16)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == 201)
    }
}

@Suite struct JSONLinesIDRuleTests {
    private func jsonl(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }
    private func record(_ id: String) -> String { #"{"id": \#(id), "prompt": "p", "response_a": "a", "response_b": "b"}"# }

    @Test func anIntegerIDIsItsDecimalText() throws {
        let (battles, _) = try read(jsonl([record("7"), record("-3"), record("123456789012345678901234567890")]), name: "d.jsonl", options: .prediction)
        #expect(battles.map(\.id) == ["7", "-3", "123456789012345678901234567890"])
    }

    @Test func sevenAndQuotedSevenAreTheSameID() throws {
        let message = errorText { _ = try read(jsonl([record("7"), record("8"), record(#""7""#)]), name: "d.jsonl", options: .prediction) }
        #expect(message == "d.jsonl: line 3: id 7 already appears on line 1; ids must be unique")
    }

    @Test(arguments: ["7.0", "7e0", "7E+0", "-0.5", "1.5e3"])
    func aNumberThatIsNotAnIntegerIsAnError(literal: String) throws {
        let message = errorText { _ = try read(jsonl([record("1"), record(literal)]), name: "d.jsonl", options: .prediction) }
        #expect(message == #"d.jsonl: line 2: field "id" is \#(literal), a number that is not an integer; expected a string or an integer (an integer id is its decimal text: 7 and "7" are the same id)"#)
    }

    @Test func aLeadingZeroIsNotJSON() throws {
        let message = try #require(errorText { _ = try read(jsonl([record("07")]), name: "d.jsonl", options: .prediction) })
        #expect(message.hasPrefix("d.jsonl: line 1: not valid JSON (invalid number (a leading zero) at byte 7)"), "\(message)")
    }

    @Test func aBlankOrRepeatedIDIsAnError() throws {
        #expect(errorText { _ = try read(jsonl([record(#"" ""#)]), name: "d.jsonl", options: .prediction) }
            == #"d.jsonl: line 1: field "id" is empty or only whitespace; every battle needs an id"#)
        let twice = #"{"id": 1, "prompt": "p", "response_a": "a", "response_b": "b", "id": 2}"#
        #expect(errorText { _ = try read(twice, name: "d.jsonl", options: .prediction) }
            == #"d.jsonl: line 1: field "id" appears more than once in the object; expected each field once (which one holds the data?)"#)
        let prompts = #"{"id": 1, "prompt": "p", "response_a": "a", "response_b": "b", "prompt": "q"}"#
        #expect(errorText { _ = try read(prompts, name: "d.jsonl", options: .prediction) }?.contains(#"line 1: id 1, field "prompt" appears more than once"#) == true)
    }

    @Test func aBadTurnNamesItsIndex() throws {
        let line = #"{"id": "x", "prompt": "p", "response_a": ["a", null, 3], "response_b": "b"}"#
        let message = errorText { _ = try read(line, name: "d.jsonl", options: .prediction) }
        #expect(message == #"d.jsonl: line 1: id x, field "response_a[2]" is a number; expected a string or null"#)
    }

    @Test func inMemoryReadingEqualsFileReading() throws {
        let text = jsonl([record("1"), record(#""two""#)])
        let file = try TemporaryFile(text, name: "d.jsonl")
        let fromFile = try BattleReader.readAll(path: file.path, options: .prediction)
        let (battles, _) = try read(text, name: "d.jsonl", options: .prediction)
        #expect(battles == fromFile.battles)
        #expect(battles.map(\.id) == ["1", "two"])
    }
}

@Suite struct SharedDecoderTests {
    /// `arena serve` and the JSON Lines reader decode battles with one decoder: the same
    /// objects give the same battles, and the same bad field the same words.
    @Test func requestsAndJSONLinesReadTheSameBattles() throws {
        let objects = [
            #"{"id": 7, "prompt": ["q", null], "response_a": "a", "response_b": ["b1", "b2"], "model_a": "x"}"#,
            #"{"id": "s", "prompt": "p", "response_a": [], "response_b": [null]}"#,
        ]
        let (fromFile, _) = try read(objects.joined(separator: "\n"), name: "d.jsonl", options: .prediction)
        let fromRequest = try BattleRequest.battles(from: Array(#"{"battles": [\#(objects.joined(separator: ","))]}"#.utf8), maxBattles: 8)
        #expect(fromRequest == fromFile)
        #expect(fromRequest.map(\.id) == ["7", "s"])

        let bad = #"{"id": 3, "prompt": "p", "response_a": "a", "response_b": {"text": "b"}}"#
        let fileMessage = try #require(errorText { _ = try read(bad, name: "d.jsonl", options: .prediction) })
        var requestMessage = ""
        do { _ = try BattleRequest.battles(from: Array(#"{"battles": [\#(bad)]}"#.utf8), maxBattles: 8) } catch { requestMessage = error.message }
        let predicate = "is an object; expected a string or a list of turns (strings or null)"
        #expect(fileMessage == #"d.jsonl: line 1: id 3, field "response_b" \#(predicate)"#)
        #expect(requestMessage == "battles[0].response_b \(predicate) (battle id 3)")
    }
}

@Suite struct BattleJSONTests {
    private func value(_ text: String) throws -> JSONValue { try JSONParser.parse(text).0 }

    @Test func decodesTextsWinnerAndNames() throws {
        let battle = try BattleJSON.battle(
            from: value(#"{"id": 5, "model_a": "m", "prompt": ["q", null], "response_a": "a", "response_b": ["b", "c"], "winner": "tie"}"#),
            winner: .required)
        var notes = DecodeNotes()
        notes.nullTurns = [1, 0, 0]
        #expect(battle == Battle(id: "5", modelA: "m", prompt: ["q", ""], responseA: ["a"], responseB: ["b", "c"], winner: .tie, notes: notes))
    }

    @Test func winnerIsIgnoredOnRequestAndDefaultIDUsed() throws {
        let battle = try BattleJSON.battle(
            from: value(#"{"prompt": "q", "response_a": "a", "response_b": "b", "winner": 3}"#), defaultID: "4", winner: .ignored)
        #expect(battle.id == "4" && battle.winner == nil)
    }

    @Test func fieldErrorsAreStructured() throws {
        #expect(throws: BattleFieldError(field: "id", problem: .notAnInteger(literal: "7.0"))) {
            try BattleJSON.battle(from: value(#"{"id": 7.0}"#), winner: .optional)
        }
        #expect(throws: BattleFieldError(field: "response_b", id: "1", problem: .missing(expected: "expected a string or a list of turns (strings or null)"))) {
            try BattleJSON.battle(from: value(#"{"id": 1, "prompt": "p", "response_a": "a"}"#), winner: .optional)
        }
        #expect(throws: BattleFieldError(field: "winner", id: "1", problem: .unknownWinner("A"))) {
            try BattleJSON.battle(from: value(#"{"id": 1, "prompt": "p", "response_a": "a", "response_b": "b", "winner": "A"}"#), winner: .optional)
        }
        #expect(throws: BattleFieldError(field: "", problem: .notAnObject(found: "an array"))) {
            try BattleJSON.battle(from: value("[]"), winner: .optional)
        }
    }
}
