import Foundation
import Testing

@testable import ArenaData

/// Reads every record of `text` with the given chunk size.
private func records(_ text: String, chunkSize: Int = 1 << 20) throws -> [[String]] {
    try records(bytes: Array(text.utf8), chunkSize: chunkSize)
}

private func records(bytes: [UInt8], chunkSize: Int = 1 << 20) throws -> [[String]] {
    let reader = CSVReader(bytes: bytes, name: "test.csv", chunkSize: chunkSize)
    var result: [[String]] = []
    while let record = try reader.next() { result.append(record.strings) }
    return result
}

@Suite struct CSVReaderTests {
    @Test func plainRecordsWithLFAndCRLF() throws {
        #expect(try records("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(try records("a,b,c\r\n1,2,3\r\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(try records("a,b\r\n1,2") == [["a", "b"], ["1", "2"]])
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let text = "id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"line one\nline two\r\nline three\"\n4,\"\"\n"
        #expect(
            try records(text) == [
                ["id", "text"], ["1", "a, b"], ["2", "say \"hi\""], ["3", "line one\nline two\r\nline three"], ["4", ""],
            ])
    }

    @Test func emptyFieldsAndTrailingSeparator() throws {
        #expect(try records("a,,c\n,,\n") == [["a", "", "c"], ["", "", ""]])
    }

    @Test func byteOrderMarkIsNotPartOfTheFirstField() throws {
        #expect(try records(bytes: [0xEF, 0xBB, 0xBF] + Array("id,x\n1,2\n".utf8)) == [["id", "x"], ["1", "2"]])
    }

    @Test func blankLinesBetweenRecordsAreSkipped() throws {
        #expect(try records("a,b\n\n1,2\n\r\n3,4\n") == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    /// Every chunk size must give the same records: quotes, doubled quotes and CRLF can fall on
    /// a chunk boundary.
    @Test(arguments: [16, 17, 19, 23, 64])
    func chunkBoundariesDoNotMatter(chunkSize: Int) throws {
        let text = "id,text,n\r\n1,\"q \"\"x\"\", y\r\nz\",7\r\n2,plain text here,8\r\n3,\"\",9\r\n4,\"ends with quote\"\"\",10"
        #expect(try records(text, chunkSize: chunkSize) == records(text))
        #expect(try records(text).count == 5)
    }

    @Test func lineNumbersCountLineBreaksInsideQuotes() throws {
        let reader = CSVReader(bytes: Array("h\n\"a\nb\nc\"\nx\n".utf8), name: "t.csv")
        #expect(try reader.next()?.line == 1)
        #expect(try reader.next()?.line == 2)
        #expect(try reader.next()?.line == 5)
    }

    @Test func fileCutOffInsideAQuotedFieldIsAnError() throws {
        #expect(throws: CSVError.unterminatedQuote(path: "test.csv", line: 2)) {
            try records("id,text\n1,\"never closed\nmore text")
        }
    }

    @Test func textAfterAClosingQuoteIsAnError() throws {
        #expect(throws: CSVError.textAfterClosingQuote(path: "test.csv", line: 2)) {
            try records("id,text\n1,\"quoted\"tail\n")
        }
    }

    @Test func missingFileNamesTheFile() throws {
        #expect(throws: CSVError.self) { try CSVReader(path: "/nonexistent/train.csv") }
        do {
            _ = try CSVReader(path: "/nonexistent/train.csv")
        } catch {
            #expect(error.description.contains("/nonexistent/train.csv"))
        }
    }

    @Test func tenMegabyteCellIsReadWhole() throws {
        let big = String(repeating: "word, \"quoted\" and more\n", count: 10 * 1024 * 1024 / 24)
        var writer = CSVWriter()
        writer.write(["id", "text"])
        writer.write(["1", big])
        let result = try records(writer.take(), chunkSize: 1 << 16)
        #expect(result.count == 2)
        #expect(result[1][1] == big)
    }
}

@Suite struct CSVWriterTests {
    @Test func quotesOnlyWhenNeeded() {
        var writer = CSVWriter()
        writer.write(["plain", "a,b", "say \"hi\"", "two\nlines", ""])
        #expect(writer.take() == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n")
    }

    /// fuzz/corpus/csv/crash-writer-lone-empty-field: a record of one empty field was written
    /// as an empty line, which a reader skips, so the record vanished.
    @Test func aRecordOfOneEmptyFieldIsQuoted() throws {
        var writer = CSVWriter()
        for row in [["id"], [""], ["7"]] { writer.write(row) }
        let text = writer.take()
        #expect(text == "id\n\"\"\n7\n")
        #expect(try records(text) == [["id"], [""], ["7"]])
    }

    /// fuzz/corpus/csv/crash-writer-bom-first-field: a first field starting with U+FEFF,
    /// written unquoted at the start of a file, read back as a byte-order mark and was lost.
    @Test func aFieldStartingWithAByteOrderMarkIsQuoted() throws {
        let rows = [["\u{FEFF}id", "x"], ["1", "\u{FEFF}"]]
        var writer = CSVWriter()
        for row in rows { writer.write(row) }
        let text = writer.take()
        #expect(text == "\"\u{FEFF}id\",x\n1,\"\u{FEFF}\"\n")
        #expect(try records(text) == rows)
        // Both fuzz inputs read the same with any chunk size and write back as they read.
        for name in ["crash-writer-lone-empty-field", "crash-writer-bom-first-field"] {
            let bytes = try fuzzCorpus("csv", name)
            let read = try records(bytes: bytes)
            #expect(try records(bytes: bytes, chunkSize: 16) == read)
            var again = CSVWriter()
            for row in read { again.write(row) }
            #expect(try records(again.take()) == read, "\(name)")
        }
    }

    @Test func roundTripsThroughTheReader() throws {
        let rows = [["id", "text"], ["1", "x,\"y\"\r\nz"], ["2", "émoji 😀"]]
        var writer = CSVWriter()
        for row in rows { writer.write(row) }
        #expect(try records(writer.take()) == rows)
    }
}

/// A committed input of the fuzz corpus, fuzz/corpus/TARGET/NAME.
func fuzzCorpus(_ target: String, _ name: String) throws -> [UInt8] {
    var directory = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { directory.deleteLastPathComponent() }
    let url = directory.appendingPathComponent("fuzz/corpus/\(target)/\(name)")
    return Array(try Data(contentsOf: url))
}
