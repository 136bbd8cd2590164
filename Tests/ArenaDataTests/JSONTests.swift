import Testing

@testable import ArenaData

private func turns(_ bytes: [UInt8]) throws -> (turns: [String], nullTurns: Int, repairs: TextRepairs) {
    let result: Result<([String], Int, TextRepairs), JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
        do throws(JSONParseError) { return .success(try JSONParser.parseTurns(buffer)) } catch { return .failure(error) }
    }
    return try result.get()
}

private func turns(_ text: String) throws -> (turns: [String], nullTurns: Int, repairs: TextRepairs) {
    try turns(Array(text.utf8))
}

@Suite struct TurnDecodingTests {
    @Test func arraysOfStrings() throws {
        #expect(try turns(#"["one"]"#).turns == ["one"])
        #expect(try turns(#"[ "a" , "b\nc" ]"#).turns == ["a", "b\nc"])
        #expect(try turns("[]").turns == [])
    }

    @Test func escapesAsPythonWritesThem() throws {
        let decoded = try turns(#"["q\"uote\\ \/ \t \u00e9 \ud83d\ude00 \u4e2d"]"#).turns
        #expect(decoded == ["q\"uote\\ / \t é 😀 中"])
    }

    @Test func nullTurnsAreEmptyAndCounted() throws {
        let result = try turns(#"["a", null, "b", null]"#)
        #expect(result.turns == ["a", "", "b", ""])
        #expect(result.nullTurns == 2)
    }

    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        let result = try turns(#"["x\ud83d y", "\ude00", "\ud83d\u0041"]"#)
        #expect(result.turns == ["x\u{FFFD} y", "\u{FFFD}", "\u{FFFD}A"])
        #expect(result.repairs.loneSurrogates == 3)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        let bytes: [UInt8] = Array(#"["ok "#.utf8) + [0xFF, 0xC3] + Array(#" end"]"#.utf8)
        let result = try turns(bytes)
        #expect(result.turns == ["ok \u{FFFD}\u{FFFD} end"])
        #expect(result.repairs.invalidUTF8 == 2)
    }

    @Test(arguments: [
        "plain text", "", "{\"a\": 1}", "[1, 2]", "[\"a\"", "[\"a\" \"b\"]", "[\"unterminated]", "\"a string\"",
        "[\"a\"] trailing", "[\"bad \\q escape\"]", "[\"bad \\u12G4\"]", "[nul]",
    ])
    func notAListOfTurnsIsAnError(cell: String) {
        #expect(throws: JSONParseError.self) { try turns(cell) }
    }
}

@Suite struct JSONParserTests {
    @Test func parsesObjectsNumbersAndLiterals() throws {
        let (value, _) = try JSONParser.parse(#"{"id": 12, "x": [true, false, null, -1.5e2], "s": "t"}"#)
        #expect(value["id"] == .number(12, literal: "12"))
        #expect(value["x"] == .array([.bool(true), .bool(false), .null, .number(-150, literal: "-1.5e2")]))
        #expect(value["s"] == .string("t"))
        #expect(value["missing"] == nil)
    }

    @Test func rejectsBadNumbersAndTrailingText() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse("01x") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("1.") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{} {}") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: "[", count: 10_000)) }
    }
}

@Suite struct JSONWriterTests {
    /// The form of the Kaggle cells: Python's json.dumps(["a\"b/", None, "é😀\n"],
    /// separators=(",", ":")) with "/" escaped as well.
    @Test func writesLikeTheKaggleFiles() {
        #expect(JSONWriter.turns(["a\"b/", nil, "é😀\n"]) == #"["a\"b\/",null,"\u00e9\ud83d\ude00\n"]"#)
        #expect(JSONWriter.turns(["\u{7F} \u{1F}"]) == #"["\u007f \u001f"]"#)
        #expect(JSONWriter.turns([]) == "[]")
        #expect(JSONWriter.turns(["\u{01}"]) == #"["\u0001"]"#)
    }

    /// Every text cell of the real sample without null turns or repaired characters is
    /// written back byte for byte.
    @Test func reproducesTheKaggleCells() throws {
        let sample = try #require(sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
        let reader = try CSVReader(path: sample)
        var record = CSVRecord()
        _ = try reader.next(into: &record)
        var compared = 0
        while try reader.next(into: &record) {
            for column in 3...5 {
                let decoded = try record.withField(column) { bytes throws(JSONParseError) in try JSONParser.parseTurns(bytes) }
                guard decoded.nullTurns == 0, decoded.repairs.total == 0 else { continue }
                #expect(JSONWriter.turns(decoded.turns) == record.string(column), "line \(record.line)")
                compared += 1
            }
        }
        #expect(compared > 2900)
    }

    @Test func roundTripsThroughTheParser() throws {
        let original = ["plain", "tab\there", "emoji 👍🏽 and 中文", "quote \" backslash \\", ""]
        let text = JSONWriter.turns(original)
        #expect(try turns(text).turns == original)
    }
}
