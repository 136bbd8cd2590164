import ArenaData
import Foundation
import Testing

@testable import Features

/// One value of `features` by name.
private func feature(_ name: String, in features: [Float]) throws -> Float {
    let index = try #require(HandFeatures.names.firstIndex(of: name), "no feature \(name)")
    return features[index]
}

@Suite struct TextStructureTests {
    static let markdown = """
        # Title

        Intro with **bold** text and a [link](https://example.com) and https://bare.org too?

        - first item
        - second item

        ```python
        # not a header
        print("hi")
        ```

        | a | b |
        |---|---|
        | 1 | 2 |

        Math: $$x^2$$ and \\(y\\).

        I'm sorry, but as an AI I cannot help.
        """

    @Test func countsEveryKindOfStructureInOneResponse() {
        var structure = TextStructure()
        let turn = structure.add(Self.markdown)
        #expect(turn.characters == 260)
        #expect(!turn.isBlank)
        #expect(structure.characters == 260)
        #expect(structure.words == 49)  // Python: len(text.split())
        #expect(structure.lines == 13)
        #expect(structure.paragraphs == 7)
        #expect(structure.headers == 1)  // "# not a header" is inside a code block
        #expect(structure.listItems == 2)
        #expect(structure.codeBlocks == 1)
        #expect(structure.bold == 1)
        #expect(structure.links == 2)  // the markdown link (its URL not again) and the bare URL
        #expect(structure.tables == 1)
        #expect(structure.latex == 2)  // $$...$$ and \( ... \)
        #expect(structure.questionMarks == 1)
        #expect(structure.refusals == 3)  // I'm sorry, as an AI, I cannot
    }

    @Test func numberedListsHeadersAndTablesNeedTheirMarkers() {
        let text = "1. one\n2) two\n10.no space\n#hashtag\n####### seven\n###### six\n---\n:--- | ---:\n  * indented\n• bullet"
        let structure = TextStructure(turns: [text])
        #expect(structure.listItems == 4)  // 1. 2) * •
        #expect(structure.headers == 1)  // ###### six
        #expect(structure.tables == 1)  // ":--- | ---:"; a bare --- is a rule
    }

    @Test func refusalsMatchCurlyApostrophesCaseAndWordBoundaries() {
        #expect(TextStructure(turns: ["I’m sorry, I CAN'T do that."]).refusals == 2)
        #expect(TextStructure(turns: ["As an AI language model, I am unable to."]).refusals == 2)
        #expect(TextStructure(turns: ["She hired me as an aide. Hi cannot. I apologize."]).refusals == 1)
    }

    @Test func blankTurnsAndUnclosedCodeBlocks() {
        var structure = TextStructure()
        #expect(structure.add(" \n\t\r\n").isBlank)
        #expect(structure.add("").isBlank)
        #expect(!structure.add("```\ncode never closed").isBlank)
        #expect(structure.codeBlocks == 1)
        #expect(structure.lines == 2)
        #expect(structure.paragraphs == 1)
        #expect(structure.add("naïve café 🙂").characters == 12)
    }

    @Test func wordTokensFollowScikitLearnsDefaultPattern() {
        let text = "I'm a snake_case fan of Zürich, 42 times: x+y"
        var tokens: [String] = []
        withUTF8Bytes(text) { bytes in
            WordTokenizer.forEachToken(in: bytes) { start, end in
                tokens.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            }
        }
        #expect(tokens == ["snake_case", "fan", "of", "Zürich", "42", "times"])
        #expect(WordTokenizer.distinctWordHashes(["The the THE", "tHe"]).count == 1)
    }
}

@Suite struct HandFeaturesTests {
    @Test func namesAreUniqueAndLaidOutBySide() {
        let names = HandFeatures.names
        #expect(names.count == 122)
        #expect(Set(names).count == names.count)
        #expect(HandFeatures.count == names.count)
        let side = SideFeature.allCases.count
        #expect(side == 32)
        for index in 0..<side {
            #expect(names[index] == "a_" + SideFeature.allCases[index].rawValue)
            #expect(names[side + index] == "b_" + SideFeature.allCases[index].rawValue)
            #expect(names[2 * side + index] == "diff_" + SideFeature.allCases[index].rawValue)
        }
        #expect(names.filter { $0.hasPrefix("ratio_") }.count == 16)
        #expect(HandFeatures.turnLengthColumnsA.map { names[$0] }.first == "a_chars")
        #expect(HandFeatures.turnLengthColumnsB.map { names[$0] }.last == "b_chars_effective_mean_minus_prompt")
        #expect(HandFeatures.turnLengthColumnsA.count == 14)
    }

    @Test func turnLengthStatisticsOfAMultiTurnBattle() throws {
        let battle = makeBattle(prompt: ["x", "yy", "zzz"], a: ["abcd", "", "ab"], b: ["é🙂", " ", "c"])
        let features = HandFeatures.extract(battle)
        let expectedA: [String: Double] = [
            "a_chars": 6, "a_chars_mean": 2, "a_chars_max": 4, "a_log_chars": log(7), "a_log_chars_mean": log(3),
            "a_log_chars_max": log(5), "a_chars_median": 2, "a_chars_std": (8.0 / 3).squareRoot(),
            "a_chars_effective_mean": 3, "a_chars_minus_prompt": 0, "a_chars_mean_minus_prompt": 0,
            "a_chars_max_minus_prompt": 1, "a_chars_median_minus_prompt": 0,
            "a_chars_effective_mean_minus_prompt": 1, "a_turns": 3, "a_empty_turns": 1, "a_empty": 0,
            "b_chars": 4, "b_chars_median": 1, "b_chars_effective_mean": 1.5, "b_empty_turns": 1,
            "diff_chars": 2, "ratio_chars_median": log(3.0 / 2), "prompt_turns": 3, "prompt_chars": 6,
            "log_prompt_chars": log(7),
        ]
        for (name, expected) in expectedA {
            let value = try feature(name, in: features)
            #expect(isClose(Double(value), expected), "\(name): \(value) != \(expected)")
        }
    }

    @Test func structureOverlapAndSimilarity() throws {
        let battle = makeBattle(
            prompt: ["What is the capital of France?"], a: [TextStructureTests.markdown + "\n\nThe capital of France is Paris."],
            b: ["Paris."])
        let features = HandFeatures.extract(battle)
        let expected: [String: Double] = [
            "a_headers": 1, "a_list_items": 2, "a_code_blocks": 1, "a_bold": 1, "a_links": 2, "a_tables": 1,
            "a_latex": 2, "a_question_marks": 1, "a_refusals": 3, "b_words": 1, "b_distinct_words": 1,
            "b_words_from_prompt": 0, "b_prompt_words_covered": 0, "a_prompt_words_covered": 5.0 / 6,
            "diff_headers": 1, "ratio_headers": log(2.0), "ratio_refusals": log(4.0),
            "prompt_question_marks": 1, "prompt_words": 6, "identical_responses": 0, "both_empty": 0,
        ]
        for (name, value) in expected {
            #expect(isClose(Double(try feature(name, in: features)), value), "\(name)")
        }
        // A's distinct words: those of the markdown plus "paris", "france", "capital", "is"
        // ("the" and "of" are there already); B's: "paris". Jaccard = 1 / |A's words|.
        let distinctA = try feature("a_distinct_words", in: features)
        #expect(isClose(Double(try feature("ab_word_jaccard", in: features)), 1 / Double(distinctA)))
        let fromPrompt = try feature("a_words_from_prompt", in: features)
        #expect(isClose(Double(fromPrompt), 5 / Double(distinctA)))
    }

    @Test func identicalAndEmptyResponses() throws {
        let same = HandFeatures.extract(makeBattle(prompt: ["Hi"], a: ["Hello there"], b: ["Hello there"]))
        #expect(try feature("identical_responses", in: same) == 1)
        #expect(try feature("ab_word_jaccard", in: same) == 1)
        #expect(try feature("both_empty", in: same) == 0)
        let diffColumns = HandFeatures.names.indices.filter {
            HandFeatures.names[$0].hasPrefix("diff_") || HandFeatures.names[$0].hasPrefix("ratio_")
        }
        #expect(diffColumns.allSatisfy { same[$0] == 0 })

        let empty = HandFeatures.extract(makeBattle(prompt: ["Hi"], a: [""], b: ["  "]))
        #expect(try feature("both_empty", in: empty) == 1)
        #expect(try feature("a_empty", in: empty) == 1)
        #expect(try feature("identical_responses", in: empty) == 0)
        #expect(try feature("a_chars_effective_mean", in: empty) == 0)
        #expect(empty.allSatisfy { $0.isFinite })

        let noTurns = HandFeatures.extract(makeBattle(prompt: [], a: [], b: []))
        #expect(noTurns.count == HandFeatures.count)
        #expect(noTurns.allSatisfy { $0.isFinite })
    }

    @Test func s3StatisticsMatchNumpyOnSampleRows() throws {
        let fixtures = try FeatureFixtures.load()
        #expect(fixtures.versions["numpy"] == "1.26.4")
        let battles = Dictionary(try sampleBattles().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(fixtures.s3.count >= 20)
        for row in fixtures.s3 {
            let battle = try #require(battles[row.id], "sample row \(row.id)")
            let features = HandFeatures.extract(battle)
            let columns = Array(HandFeatures.turnLengthColumnsA) + Array(HandFeatures.turnLengthColumnsB)
            #expect(columns.count == row.a.count + row.b.count)
            for (column, expected) in zip(columns, row.a + row.b) {
                let actual = Double(features[column])
                #expect(isClose(actual, expected), "row \(row.id) \(HandFeatures.names[column]): \(actual) != \(expected)")
            }
        }
    }

    @Test func swappedBattleFeaturesArePermutedFeaturesOnTheRealSample() throws {
        let battles = try sampleBattles()
        #expect(battles.count > 900)
        let permutation = HandFeatures.swapPermutation
        var differing = 0
        for battle in battles {
            let features = HandFeatures.extract(battle)
            let swapped = HandFeatures.extract(battle.swapped)
            if try permutation.apply(to: features) != swapped { differing += 1 }
        }
        #expect(differing == 0)
        // Applying the swap twice is the identity.
        let features = HandFeatures.extract(battles[0])
        #expect(try permutation.apply(to: permutation.apply(to: features)) == features)
    }

    @Test func batchExtractionEqualsOneAtATime() throws {
        let battles = Array(try sampleBattles().prefix(300))
        let matrix = HandFeatures.extract(battles)
        #expect(matrix.rows == battles.count)
        #expect(matrix.columns == HandFeatures.count)
        #expect(matrix.names == HandFeatures.names)
        for index in [0, 1, 150, 299] {
            #expect(Array(matrix.row(index)) == HandFeatures.extract(battles[index]))
        }
        let swapped = try HandFeatures.swapPermutation.apply(to: matrix)
        #expect(swapped == HandFeatures.extract(battles.map(\.swapped)))
        #expect(matrix.values.allSatisfy { $0.isFinite })
    }

    @Test func permutationAndMatrixRejectWrongShapes() {
        #expect(throws: FeaturesError.shapeMismatch(expected: HandFeatures.count, found: 3)) {
            try HandFeatures.swapPermutation.apply(to: [Float](repeating: 0, count: 3))
        }
        #expect(throws: FeaturesError.shapeMismatch(expected: 4, found: 3)) {
            try FeatureMatrix(names: ["x", "y"], rows: 2, values: [1, 2, 3])
        }
        #expect(throws: FeaturesError.self) { try SwapPermutation(sourceIndices: [0, 2], signs: [1, 1]) }
    }
}
