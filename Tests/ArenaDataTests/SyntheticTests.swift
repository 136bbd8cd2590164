import Foundation
import Testing

@testable import ArenaData

/// 3,000 rows of seed 1, shared by the tests that look at distributions.
private let sampleSeed: UInt64 = 1
private let sampleRows: [SyntheticRow] = {
    let generator = SyntheticBattleGenerator(seed: sampleSeed)
    return (0..<3_000).map { generator.row(index: $0) }
}()

/// Writes `rows` rows of `seed` into a new temporary folder; the folder goes with the value.
private func writeSynthetic(rows: Int, seed: UInt64) throws -> (file: TemporaryFile, bytes: Int) {
    let file = try TemporaryFile("", name: "synthetic.csv")
    let bytes = try SyntheticBattleGenerator.writeKaggleCSV(rows: rows, seed: seed, to: file.path)
    return (file, bytes)
}

private func share(_ count: Int, of total: Int) -> Double { Double(count) / Double(total) }

@Suite struct SyntheticTests {
    @Test func sameSeedWritesTheSameBytesAndAnotherSeedDoesNot() throws {
        let first = try writeSynthetic(rows: 300, seed: 11)
        let again = try writeSynthetic(rows: 300, seed: 11)
        let other = try writeSynthetic(rows: 300, seed: 12)
        let bytes = try readFile(path: first.file.path)
        #expect(bytes.count == first.bytes)
        #expect(bytes == (try readFile(path: again.file.path)))
        #expect(bytes != (try readFile(path: other.file.path)))
        // A row depends only on the seed and its index, not on the rows made before it.
        let generator = SyntheticBattleGenerator(seed: 11)
        #expect(generator.row(index: 250) == SyntheticBattleGenerator(seed: 11).row(index: 250))
        #expect(generator.row(index: 250) != generator.row(index: 251))
    }

    @Test func theFileReadsBackRowForRow() throws {
        let (file, bytes) = try writeSynthetic(rows: sampleRows.count, seed: sampleSeed)
        let contents = try readFile(path: file.path)
        #expect(contents.count == bytes)
        let header = SyntheticBattleGenerator.kaggleHeader.joined(separator: ",") + "\n"
        #expect(contents.starts(with: Array(header.utf8)))
        #expect(header == "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n")
        // No temporary file is left beside it.
        let folder = (file.path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["synthetic.csv"])

        let (battles, report) = try BattleReader.readAll(path: file.path, options: .strictTraining)
        #expect(battles.count == sampleRows.count)
        #expect(battles == sampleRows.map(\.battle))
        #expect(Set(battles.map(\.id)).count == battles.count)
        let nullTurns = sampleRows.reduce(0) { $0 + $1.nullTurnIndices.reduce(0) { $0 + $1.count } }
        #expect(nullTurns > 0)
        #expect(report.nullTurns == nullTurns)
        #expect(report.skippedRows == 0 && report.repairedCharacters == 0)
    }

    @Test func labelsAreBalancedLikeTheRealData() {
        var counts = [Winner: Int]()
        for row in sampleRows { counts[row.battle.winner ?? .tie, default: 0] += 1 }
        // The full Kaggle file: A 34.9%, B 34.2%, tie 30.9%.
        let total = sampleRows.count
        #expect(abs(share(counts[.modelA, default: 0], of: total) - 0.35) < 0.035)
        #expect(abs(share(counts[.modelB, default: 0], of: total) - 0.34) < 0.035)
        #expect(abs(share(counts[.tie, default: 0], of: total) - 0.31) < 0.035)
    }

    @Test func turnCountsLookLikeTheRealData() {
        let turns = sampleRows.map(\.battle.turnCount)
        for row in sampleRows {
            #expect(row.battle.prompt.count == row.battle.responseA.count)
            #expect(row.battle.prompt.count == row.battle.responseB.count)
        }
        // The real data: 86.9% single-turn.
        let singleTurn = share(turns.filter { $0 == 1 }.count, of: turns.count)
        #expect(singleTurn > 0.84 && singleTurn < 0.90)
        #expect(turns.filter { $0 >= 3 }.count > 60)
        #expect((turns.max() ?? 0) <= 36)
    }

    @Test func oddCasesOccur() {
        let responseTurns = sampleRows.reduce(0) { $0 + $1.battle.responseA.count + $1.battle.responseB.count }
        let nullResponseTurns = sampleRows.reduce(0) { $0 + $1.nullTurnIndices[1].count + $1.nullTurnIndices[2].count }
        let nullShare = share(nullResponseTurns, of: responseTurns)
        #expect(nullShare > 0.007 && nullShare < 0.02)
        #expect(sampleRows.allSatisfy { $0.nullTurnIndices[0].isEmpty })
        let emptyNotNull = sampleRows.filter { row in
            row.turns(column: 1).contains("") || row.turns(column: 2).contains("")
        }
        #expect(!emptyNotNull.isEmpty)
        // Identical answers (not just two short "Yes." answers) are a tie.
        let identical = sampleRows.filter { row in
            row.battle.responseA == row.battle.responseB && row.battle.responseA.reduce(0) { $0 + $1.utf8.count } > 100
        }
        #expect(!identical.isEmpty)
        #expect(identical.allSatisfy { $0.battle.winner == .tie })
        #expect(sampleRows.contains { $0.battle.responseA.contains { $0.hasPrefix("I'm sorry, but I can't") } })
        #expect(sampleRows.contains { $0.battle.responseA.contains { $0.contains("```python\n") } })
        #expect(sampleRows.contains { $0.battle.responseA.contains { $0.contains("\n1. ") } })
        #expect(Set(sampleRows.compactMap(\.battle.modelA)).count >= 20)
        #expect(sampleRows.allSatisfy { $0.battle.modelA != $0.battle.modelB })
    }

    @Test func rowsAreAboutAsLargeAsTheRealOnes() {
        // 57,477 real rows make about 180 MB: about 3.1 KB a row.
        var text = ""
        for row in sampleRows { row.appendCSVRecord(to: &text) }
        let perRow = Double(text.utf8.count) / Double(sampleRows.count)
        #expect(perRow > 2_700 && perRow < 3_600, "\(perRow) bytes a row")
    }

    @Test func nonBMPEmojiRoundTripAsSurrogatePairs() throws {
        let row = try #require(
            sampleRows.first { row in
                row.battle.responseA.contains { $0.unicodeScalars.contains { $0.value > 0xFFFF } }
            })
        var text = SyntheticBattleGenerator.kaggleHeader.joined(separator: ",") + "\n"
        row.appendCSVRecord(to: &text)
        // JSON as Python writes it: ASCII only, non-BMP scalars as surrogate pairs.
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        #expect(text.contains("\\ud83"))
        let file = try TemporaryFile(text, name: "emoji.csv")
        let (battles, _) = try BattleReader.readAll(path: file.path, options: .strictTraining)
        #expect(battles == [row.battle])
    }

    @Test func labelsFollowTheHiddenRule() {
        // The longer answer wins clearly more often than chance among decisive votes (the real
        // sample: 63%); random labels would give 50%.
        var longerWins = 0, decisive = 0
        var betterWins = 0, betterDecisive = 0
        for row in sampleRows {
            guard let winner = row.battle.winner, winner != .tie else { continue }
            let lengthA = row.battle.responseA.reduce(0) { $0 + $1.utf8.count }
            let lengthB = row.battle.responseB.reduce(0) { $0 + $1.utf8.count }
            if lengthA != lengthB {
                decisive += 1
                if (lengthA > lengthB) == (winner == .modelA) { longerWins += 1 }
            }
            if row.hiddenQualityA != row.hiddenQualityB {
                betterDecisive += 1
                if (row.hiddenQualityA > row.hiddenQualityB) == (winner == .modelA) { betterWins += 1 }
            }
        }
        #expect(share(longerWins, of: decisive) > 0.6, "longer wins \(longerWins) of \(decisive)")
        #expect(share(betterWins, of: betterDecisive) > 0.7, "better wins \(betterWins) of \(betterDecisive)")

        // A side whose every turn is a refusal loses more often than it wins.
        var refusedWins = 0, refusedLosses = 0
        for row in sampleRows {
            let refusedA = row.battle.responseA.allSatisfy { $0.hasPrefix("I'm sorry") || $0.hasPrefix("As an AI") }
            let refusedB = row.battle.responseB.allSatisfy { $0.hasPrefix("I'm sorry") || $0.hasPrefix("As an AI") }
            guard refusedA != refusedB, let winner = row.battle.winner, winner != .tie else { continue }
            if (winner == .modelA) == refusedA { refusedWins += 1 } else { refusedLosses += 1 }
        }
        #expect(refusedLosses > 2 * refusedWins, "refusals won \(refusedWins), lost \(refusedLosses)")
    }

    @Test func badArgumentsAreTypedErrors() throws {
        let file = try TemporaryFile("", name: "x.csv")
        #expect(throws: DataError.self) {
            try SyntheticBattleGenerator.writeKaggleCSV(rows: 0, seed: 0, to: file.path)
        }
        let folder = (file.path as NSString).deletingLastPathComponent
        let missing = folder + "/no/such/folder/out.csv"
        do {
            try SyntheticBattleGenerator.writeKaggleCSV(rows: 5, seed: 0, to: missing)
            Issue.record("writing into a missing folder should fail")
        } catch {
            guard case .writeFailed(let path, _) = error else {
                Issue.record("expected writeFailed, got \(error)")
                return
            }
            #expect(path == missing)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["x.csv"])
    }
}
