import Foundation
import Testing

@testable import ArenaData

/// A temporary file holding `contents`, removed when the value is dropped.
final class TemporaryFile {
    let path: String

    init(_ contents: String, name: String = "data.csv") throws {
        self.path = try TemporaryFile.makePath(name)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
    }

    init(bytes: [UInt8], name: String = "data.csv") throws {
        self.path = try TemporaryFile.makePath(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    private static func makePath(_ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arena-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    deinit { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
}

let trainHeader = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"

/// One Kaggle train.csv row; text cells given as the JSON written into the cell.
func trainRow(
    _ id: String, prompt: String = #"["Hi?"]"#, a: String = #"["Hello!"]"#, b: String = #"["Hey."]"#,
    flags: String = "1,0,0"
) -> String {
    var writer = CSVWriter()
    writer.write([id, "model-x", "model-y", prompt, a, b] + flags.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    return writer.take()
}

private func read(_ contents: String, options: LoadOptions = .training, name: String = "train.csv") throws -> (
    battles: [Battle], report: LoadReport
) {
    let file = try TemporaryFile(contents, name: name)
    return try BattleReader.readAll(path: file.path, options: options)
}

/// The description of the DataError thrown by `body`, or nil.
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

@Suite struct BattleReaderTests {
    @Test func readsTheKaggleTrainSchema() throws {
        let text = trainHeader + trainRow("7", prompt: #"["p1", "p2"]"#, a: #"["a1", "a2"]"#, b: #"["b1", null]"#, flags: "0,0,1")
        let (battles, report) = try read(text)
        #expect(battles.count == 1)
        let battle = battles[0]
        #expect(battle.id == "7")
        #expect(battle.modelA == "model-x")
        #expect(battle.prompt == ["p1", "p2"])
        #expect(battle.responseB == ["b1", ""])
        #expect(battle.winner == .tie)
        #expect(battle.notes.nullTurns == [0, 0, 1])
        #expect(report.nullTurns == 1)
        #expect(report.hasLabels)
    }

    @Test func columnsAreFoundByNameAndExtraColumnsIgnored() throws {
        var writer = CSVWriter()
        writer.write(["Unnamed: 0", "winner_tie", "response_b", "id", "prompt", "winner_model_b", "response_a", "winner_model_a"])
        writer.write(["0", "0", #"["B"]"#, "42", #"["P"]"#, "1", #"["A"]"#, "0"])
        let (battles, _) = try read(writer.take())
        #expect(battles == [Battle(id: "42", prompt: ["P"], responseA: ["A"], responseB: ["B"], winner: .modelB)])
    }

    @Test func testSchemaNeedsNoLabels() throws {
        let text = "id,prompt,response_a,response_b\n1,\"[\"\"p\"\"]\",\"[\"\"a\"\"]\",\"[\"\"b\"\"]\"\n"
        let (battles, report) = try read(text, options: .prediction, name: "test.csv")
        #expect(battles.count == 1 && battles[0].winner == nil && !report.hasLabels)
        // Training needs the winner columns.
        let message = errorText { _ = try read(text, options: .training, name: "test.csv") }
        #expect(message?.contains("missing columns winner_model_a, winner_model_b, winner_tie") == true)
    }

    @Test func missingOrRenamedColumnIsNamed() throws {
        let text = "id,model_a,model_b,prompt,response_A,resp_b,winner_model_a,winner_model_b,winner_tie\n"
        let message = try #require(errorText { _ = try read(text) })
        #expect(message.contains("train.csv"))
        #expect(message.contains("missing columns response_a, response_b"))
        #expect(message.contains("'response_A' looks like 'response_a'"))
    }

    @Test func emptyFileAndHeaderOnly() throws {
        #expect(errorText { _ = try read("") }?.contains("the file is empty") == true)
        #expect(errorText { _ = try read(trainHeader) }?.contains("has a header but no data rows") == true)
    }

    @Test func fileCutOffInsideAQuotedField() throws {
        let text = trainHeader + trainRow("1") + "2,m,n,\"[\"\"cut off"
        #expect(errorText { _ = try read(text) }?.contains("line 3: a quoted field starts here and is never closed") == true)
    }

    @Test func winnerFlagsMustHaveExactlyOneSet() throws {
        let two = try #require(errorText { _ = try read(trainHeader + trainRow("5", flags: "1,1,0")) })
        #expect(two.contains("line 2, id 5"))
        #expect(two.contains("2 winner flags are set (winner_model_a and winner_model_b)"))
        let none = try #require(errorText { _ = try read(trainHeader + trainRow("6", flags: "0,0,0")) })
        #expect(none.contains("no winner flag is set"))
        let text = try #require(errorText { _ = try read(trainHeader + trainRow("7", flags: "0,yes,0")) })
        #expect(text.contains("id 7, column winner_model_b: 'yes': expected 0 or 1"))
        // pandas may write flags as floats.
        #expect(try read(trainHeader + trainRow("8", flags: "0.0,1.0,0.0")).battles[0].winner == .modelB)
    }

    @Test func wrongNumberOfFields() throws {
        let message = errorText { _ = try read(trainHeader + "1,m,n,x\n") }
        #expect(message?.contains("line 2: 4 fields where the header has 9") == true)
    }

    @Test func duplicateIDIsAnError() throws {
        let message = errorText { _ = try read(trainHeader + trainRow("3") + trainRow("4") + trainRow("3")) }
        #expect(message?.contains("line 4: id 3 already appears on line 2") == true)
    }

    @Test func undecodableCellIsSkippedInTrainingFatalWhenStrictKeptInPrediction() throws {
        let text = trainHeader + trainRow("1") + trainRow("2", a: "not json at all") + trainRow("3")
        let (battles, report) = try read(text)
        #expect(battles.map(\.id) == ["1", "3"])
        #expect(report.skippedRows == 1)
        #expect(report.skippedExamples.first?.id == "2")
        #expect(report.skippedExamples.first?.column == "response_a")
        #expect(report.warnings.first?.contains("skipped 1 of 3 rows") == true)

        let strict = try #require(errorText { _ = try read(text, options: .strictTraining) })
        #expect(strict.contains("line 3, id 2, column response_a: not a JSON list of turns"))

        let (kept, keptReport) = try read(text, options: .prediction)
        #expect(kept.map(\.id) == ["1", "2", "3"])
        #expect(kept[1].responseA == ["not json at all"])
        #expect(kept[1].notes.rawColumns == ["response_a"])
        #expect(keptReport.rawCellRows == 1)
    }

    @Test func loneSurrogateAndInvalidUTF8AreRepairedAndCounted() throws {
        var bytes = Array((trainHeader + trainRow("1", a: #"["bad \ud83d pair"]"#)).utf8)
        bytes += Array("2,m,n,\"[\"\"raw ".utf8) + [0xFE] + Array(" byte\"\"]\",\"[\"\"a\"\"]\",\"[\"\"b\"\"]\",0,1,0\n".utf8)
        let file = try TemporaryFile(bytes: bytes, name: "train.csv")
        let (battles, report) = try BattleReader.readAll(path: file.path, options: .strictTraining)
        #expect(battles[0].responseA == ["bad \u{FFFD} pair"])
        #expect(battles[1].prompt == ["raw \u{FFFD} byte"])
        #expect(report.repairedCharacters == 2)
    }

    @Test func tenMegabyteCell() throws {
        let long = String(repeating: "All work and no play. ", count: 10 * 1024 * 1024 / 22)
        let text = trainHeader + trainRow("1", a: JSONWriter.turns([long]))
        let (battles, _) = try read(text)
        #expect(battles[0].responseA == [long])
    }

    @Test func unknownExtensionIsRefused() throws {
        #expect(errorText { _ = try read("x", name: "data.txt") }?.contains("unknown data format") == true)
    }
}

@Suite struct JSONLinesReaderTests {
    @Test func readsStringsOrListsAndWinnerNames() throws {
        let text = """
            {"id": 1, "prompt": "p", "response_a": ["a1", "a2"], "response_b": "b", "winner": "model_b", "model_a": "x"}

            {"id": "row-2", "prompt": ["q"], "response_a": [null], "response_b": ["c"], "winner": "tie"}
            """
        let (battles, report) = try read(text, name: "data.jsonl")
        #expect(battles.count == 2)
        #expect(battles[0] == Battle(id: "1", modelA: "x", prompt: ["p"], responseA: ["a1", "a2"], responseB: ["b"], winner: .modelB))
        #expect(battles[1].id == "row-2" && battles[1].winner == .tie && battles[1].responseA == [""])
        #expect(report.nullTurns == 1)
    }

    @Test func badRecordsNameTheLineAndField() throws {
        let cases: [(String, String)] = [
            (#"{"id": 1, "prompt": "p", "response_a": "a", "response_b": "b", "winner": "A"}"#, #"line 1: id 1, field "winner" is "A""#),
            (#"{"id": 1, "prompt": "p", "response_a": "a", "response_b": "b"}"#, #"field "winner" is missing"#),
            (#"{"id": 1, "prompt": 3, "response_a": "a", "response_b": "b", "winner": "tie"}"#, #"field "prompt" is a number"#),
            (#"{"prompt": "p", "response_a": "a", "response_b": "b", "winner": "tie"}"#, #"field "id" is missing"#),
            (#"["not", "an object"]"#, "line 1: the record is an array; expected an object with id, prompt, response_a and response_b"),
            (#"{"id": 1, "prompt": "p""#, "not valid JSON"),
        ]
        for (line, expected) in cases {
            let message = errorText { _ = try read(line, name: "d.jsonl") }
            #expect(message?.contains(expected) == true, "\(line) -> \(message ?? "no error")")
        }
    }

    @Test func emptyJSONLinesFile() throws {
        #expect(errorText { _ = try read("\n\n", name: "d.jsonl") }?.contains("the file is empty") == true)
    }
}

@Suite struct BattleTests {
    @Test func swapExchangesResponsesModelsAndLabel() {
        let battle = Battle(id: "1", modelA: "x", modelB: "y", prompt: ["p"], responseA: ["a"], responseB: ["b"], winner: .modelA)
        let swapped = battle.swapped
        #expect(swapped.responseA == ["b"] && swapped.responseB == ["a"])
        #expect(swapped.modelA == "y" && swapped.modelB == "x")
        #expect(swapped.winner == .modelB)
        #expect(swapped.swapped == battle)
        #expect(Winner.tie.swapped == .tie)
    }

    @Test func labelMapping() {
        #expect(Winner.allCases.map(\.rawValue) == [0, 1, 2])
        #expect(Winner.allCases.map(\.kaggleColumn) == ["winner_model_a", "winner_model_b", "winner_tie"])
        #expect(Winner(name: "model_b") == .modelB && Winner(name: "B") == nil)
    }
}

/// The real 1,000-row sample, when this checkout sits beside ../shared.
let sampleTrainCSV: String? = {
    var directory = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { directory.deleteLastPathComponent() }
    let path = directory.deletingLastPathComponent().appendingPathComponent("shared/data/arena-sample/train.csv").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}()
