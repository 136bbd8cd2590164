import ArenaData
import Foundation
import Testing

/// Reads `text` as a submission named sub.csv and, when `labelIDs` is given, compares its ids.
private func check(_ text: String, labelIDs: [String]? = nil) -> SubmissionCheck {
    var result = SubmissionFile.read(bytes: Array(text.utf8), name: "sub.csv")
    if let labelIDs { result.compareIDs(with: labelIDs, labelsPath: "train.csv") }
    return result
}

private let header = "id,winner_model_a,winner_model_b,winner_tie\n"

@Suite struct SubmissionWriterTests {
    @Test func roundTripKeepsOrderAndExactValues() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("submission-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("submission.csv").path
        let ids = ["136060", "211333", "1233961", "x,y"]
        let probabilities: [WinnerProbabilities] = [
            [1.0 / 3, 1.0 / 3, 1.0 / 3], [0.1, 0.7, 0.2], [1e-7, 0.9999998, 1e-7], [0.5, 0.5, 0],
        ]
        try SubmissionFile.write(ids: ids, probabilities: probabilities, to: path)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix(header))
        let read = SubmissionFile.read(path: path)
        #expect(read.violations == [])
        #expect(read.ids == ids)
        #expect(read.probabilities == probabilities)
        #expect(read.lines == [2, 3, 4, 5])
        #expect(read.probabilities(orderedBy: ["x,y", "136060"]) == [probabilities[3], probabilities[0]])
        #expect(read.probabilities(orderedBy: ["nope"]) == nil)
    }

    @Test func rejectsMismatchedOrNonFiniteInput() {
        #expect(throws: DataError.self) { try SubmissionFile.write(ids: ["1"], probabilities: [], to: "/tmp/unused.csv") }
        #expect(throws: DataError.self) { try SubmissionFile.write(ids: ["1"], probabilities: [[.nan, 0.5, 0.5]], to: "/tmp/unused.csv") }
    }
}

@Suite struct SubmissionViolationTests {
    @Test func validFileHasNoViolations() {
        let result = check(header + "1,0.2,0.3,0.5\n2,0.6,0.2,0.2\n", labelIDs: ["2", "1"])
        #expect(result.isValid)
        #expect(result.messages() == [])
        #expect(result.probabilities(orderedBy: ["2", "1"]) == [[0.6, 0.2, 0.2], [0.2, 0.3, 0.5]])
    }

    @Test func missingID() {
        let result = check(header + "1,0.2,0.3,0.5\n", labelIDs: ["1", "7"])
        #expect(result.violations == [.idMissing(path: "sub.csv", id: "7", labelsPath: "train.csv")])
        #expect(result.messages() == ["sub.csv: no row for id 7, which is in train.csv; expected one row for every labelled id"])
    }

    @Test func extraID() {
        let result = check(header + "1,0.2,0.3,0.5\n9,0.2,0.3,0.5\n", labelIDs: ["1"])
        #expect(result.violations == [.idNotInLabels(path: "sub.csv", line: 3, id: "9", labelsPath: "train.csv")])
        #expect(result.messages() == ["sub.csv: line 3: id 9 is not in train.csv; expected only the labelled ids"])
    }

    @Test func negativeProbability() {
        let result = check(header + "1,-0.1,0.6,0.5\n")
        #expect(result.violations == [.outOfRange(path: "sub.csv", line: 2, id: "1", column: "winner_model_a", value: -0.1)])
        #expect(result.messages() == [
            "sub.csv: line 2, id 1, column winner_model_a: -0.1 is negative; expected a probability between 0 and 1"
        ])
    }

    @Test func probabilityAboveOneNaNAndInfinity() {
        let result = check(header + "1,1.5,0,0\n2,nan,0.5,0.5\n3,0.5,inf,0.5\n")
        #expect(result.violations.map(\.kind) == [.outOfRange, .outOfRange, .outOfRange])
        let messages = result.messages()
        #expect(messages[0].contains("line 2, id 1, column winner_model_a: 1.5 is greater than 1"))
        #expect(messages[1].contains("line 3, id 2, column winner_model_a: NaN"))
        #expect(messages[2].contains("line 4, id 3, column winner_model_b: inf is infinite"))
    }

    @Test func rowNotSummingToOne() {
        let result = check(header + "1,0.2,0.3,0.4\n2,0.2,0.3,0.5000001\n")
        #expect(result.violations.count == 1)
        guard case let .rowSum(path, line, id, sum)? = result.violations.first else {
            Issue.record("expected a row-sum violation, got \(result.violations)")
            return
        }
        #expect(path == "sub.csv" && line == 2 && id == "1")
        #expect(abs(sum - 0.9) < 1e-12)
        #expect(result.messages()[0].hasPrefix("sub.csv: line 2, id 1: the probabilities sum to 0.9"))
        #expect(result.messages()[0].contains("expected winner_model_a + winner_model_b + winner_tie = 1 within 1e-06"))
    }

    @Test func nonNumericValue() {
        let result = check(header + "1,0.2,abc,0.5\n2,0.2,0.3,\n")
        #expect(result.violations == [
            .notANumber(path: "sub.csv", line: 2, id: "1", column: "winner_model_b", value: "abc"),
            .notANumber(path: "sub.csv", line: 3, id: "2", column: "winner_tie", value: ""),
        ])
        #expect(result.messages()[0] == "sub.csv: line 2, id 1, column winner_model_b: 'abc' is not a number; expected a probability between 0 and 1")
        #expect(result.messages()[1].contains("column winner_tie: the cell is empty"))
        // The rows still count as present when ids are compared.
        var compared = result
        compared.compareIDs(with: ["1", "2"], labelsPath: "train.csv")
        #expect(compared.violations.count == 2)
    }

    @Test func missingColumnNamesTheClosestOne() {
        let result = check("id,winner_model_a,winner_modelb,winner_tie\n1,0.2,0.3,0.5\n", labelIDs: ["1"])
        #expect(result.violations == [
            .missingColumn(
                path: "sub.csv", column: "winner_model_b", closest: "winner_modelb",
                header: ["id", "winner_model_a", "winner_modelb", "winner_tie"])
        ])
        #expect(result.messages()[0].contains("no column winner_model_b"))
        #expect(result.messages()[0].contains("'winner_modelb' looks like 'winner_model_b': rename it"))
        // Without the column no row can be read, so the ids are not also reported as missing.
        #expect(result.violations.count == 1)
    }

    @Test func missingColumnWithNothingClose() {
        let result = check("id,winner_model_a,winner_model_b\n1,0.5,0.5\n")
        #expect(result.violations.map(\.kind) == [.missingColumn])
        #expect(result.messages()[0].contains("expected id,winner_model_a,winner_model_b,winner_tie"))
    }

    @Test func duplicateID() {
        let result = check(header + "1,0.2,0.3,0.5\n2,0.2,0.3,0.5\n1,0.2,0.3,0.5\n", labelIDs: ["1", "2"])
        #expect(result.violations == [.duplicateID(path: "sub.csv", line: 4, id: "1", firstLine: 2)])
        #expect(result.messages() == ["sub.csv: line 4: id 1 already appears on line 2; expected each id once"])
    }

    @Test func emptyFile() {
        let result = check("", labelIDs: ["1"])
        #expect(result.violations == [.emptyFile(path: "sub.csv")])
        #expect(result.messages()[0].contains("the file is empty; expected the header id,winner_model_a,winner_model_b,winner_tie"))
    }

    @Test func headerOnly() {
        let result = check(header, labelIDs: ["1"])
        #expect(result.violations == [.noRows(path: "sub.csv")])
        #expect(result.messages() == ["sub.csv: the file has a header but no rows; expected one row per id"])
    }

    @Test func wrongFieldCountAndEmptyID() {
        let result = check(header + "1,0.2,0.3\n,0.2,0.3,0.5\n")
        #expect(result.violations.map(\.kind) == [.wrongFieldCount, .emptyID])
        #expect(result.messages()[0].contains("line 2: 3 fields where the header has 4"))
        #expect(result.messages()[1].contains("line 3: the id is empty"))
    }

    @Test func unreadableCSV() {
        let result = check(header + "1,\"0.2,0.3,0.5\n")
        #expect(result.violations.map(\.kind) == [.unreadable])
        #expect(result.messages()[0].contains("never closed"))
        let missingFile = SubmissionFile.read(path: "/nonexistent/sub.csv")
        #expect(missingFile.violations.map(\.kind) == [.unreadable])
    }

    @Test func everyViolationIsCollectedAndEachKindIsCapped() {
        var text = header
        for id in 0..<25 { text += "\(id),0.2,0.2,0.2\n" }  // 25 rows summing to 0.6
        text += "25,-1,1,1\n"
        let result = check(text, labelIDs: (0..<30).map(String.init))
        #expect(result.violations.filter { $0.kind == .rowSum }.count == 25)
        #expect(result.violations.filter { $0.kind == .idMissing }.count == 4)
        let messages = result.messages(limit: 10)
        #expect(messages.filter { $0.contains("sum to 0.6") }.count == 10)
        #expect(messages.contains("sub.csv: ... and 15 more like these (25 rows that do not sum to 1 in all)"))
        #expect(messages.last == "sub.csv: 30 problems: 1 probability outside [0, 1], 25 rows that do not sum to 1, 4 ids missing from the submission")
    }
}
