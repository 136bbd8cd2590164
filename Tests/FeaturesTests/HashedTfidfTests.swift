import ArenaData
import Foundation
import Testing

@testable import Features

/// A model with one family only, with buckets enough that a tiny corpus has no collisions.
private func singleFamilyModel(words: Bool, nGrams: ClosedRange<Int>) throws -> HashedTfidf {
    let buckets = 1 << 20
    return try HashedTfidf(
        configuration: .init(
            wordNGrams: nGrams, wordBuckets: words ? buckets : 0, characterNGrams: nGrams,
            characterBuckets: words ? 0 : buckets, sublinearTermFrequency: true))
}

@Suite struct HashedTfidfTests {
    @Test func matchesScikitLearnsTfidfVectorizerWithoutCollisions() throws {
        let fixtures = try FeatureFixtures.load()
        #expect(fixtures.versions["scikit-learn"] == "1.4.2")
        for reference in fixtures.tfidf.cases {
            let isWord = reference.analyzer == "word"
            var model = try singleFamilyModel(words: isWord, nGrams: reference.ngramRange[0]...reference.ngramRange[1])
            model.fit(fixtures.tfidf.corpus)
            let columns = try Dictionary(uniqueKeysWithValues: reference.idf.keys.map {
                ($0, try #require(model.column(ofNGram: $0, isWord: isWord)))
            })
            try #require(Set(columns.values).count == columns.count, "\(reference.analyzer): hash collision")
            for (term, idf) in reference.idf {
                let fitted = Double(model.inverseDocumentFrequencies[columns[term]!])
                #expect(isClose(fitted, idf), "\(reference.analyzer) idf of '\(term)': \(fitted) != \(idf)")
            }
            for (document, expected) in zip(fixtures.tfidf.corpus, reference.documents) {
                let vector = model.transform(document)
                #expect(vector.storedCount == expected.count, "\(reference.analyzer): '\(document)'")
                for (term, value) in expected {
                    let actual = Double(vector[columns[term]!])
                    #expect(isClose(actual, value), "\(reference.analyzer) '\(term)' in '\(document)': \(actual) != \(value)")
                }
                #expect(isClose(Double(vector.norm), 1))
            }
        }
    }

    @Test func idfIsTheSmoothedFormulaAndSmallestForAWordInEveryDocument() throws {
        var model = try singleFamilyModel(words: true, nGrams: 1...1)
        model.fit(["the cat", "The dog barks", "the end of the story"])
        #expect(model.documentCount == 3)
        let column = { (word: String) in model.column(ofNGram: word, isWord: true) ?? 0 }
        let idf = { (word: String) in Double(model.inverseDocumentFrequencies[column(word)]) }
        // idf = ln((1 + n) / (1 + df)) + 1, n = 3.
        #expect(isClose(idf("the"), 1))
        #expect(isClose(idf("cat"), log(4.0 / 2) + 1))
        #expect(isClose(idf("unseen"), log(4.0) + 1))
        #expect(Double(model.inverseDocumentFrequencies.min()!) == idf("the"))
        // "the" twice: sublinear tf 1 + ln 2 for "the", 1 for "story"; normalised.
        let vector = model.transform("the story, the")
        let the = (1 + log(2.0)) * idf("the")
        let story = idf("story")
        let norm = (the * the + story * story).squareRoot()
        #expect(isClose(Double(vector[column("the")]), the / norm))
        #expect(isClose(Double(vector[column("story")]), story / norm))
        #expect(model.column(ofNGram: "the", isWord: false) == nil)  // no character family here
    }

    @Test func eachFamilyIsNormalisedOnItsOwn() throws {
        var model = try HashedTfidf()
        model.fit(["Hello world, this is a test.", "Another document entirely", "Çà et là: ünïcödé"])
        let vector = model.transform("Hello there, world! Ünïcödé text.")
        let wordBuckets = Int32(model.configuration.wordBuckets)
        let words = vector.values.indices.filter { vector.indices[$0] < wordBuckets }.map { Double(vector.values[$0]) }
        let characters = vector.values.indices.filter { vector.indices[$0] >= wordBuckets }.map { Double(vector.values[$0]) }
        #expect(!words.isEmpty && !characters.isEmpty)
        #expect(isClose(words.reduce(0) { $0 + $1 * $1 }, 1))
        #expect(isClose(characters.reduce(0) { $0 + $1 * $1 }, 1))
        #expect(zip(vector.indices, vector.indices.dropFirst()).allSatisfy { $0 < $1 })
        #expect(vector.indices.allSatisfy { $0 >= 0 && Int($0) < model.columns })
        #expect(model.transform("").storedCount == 0)
        #expect(model.transform("  \n ").storedCount == 0)  // one space after collapsing: no n-gram
    }

    @Test func hashingIsAFixedFunction() throws {
        let fixtures = try FeatureFixtures.load()
        for reference in fixtures.hashes {
            #expect(String(FNV1a.hash(reference.text.utf8)) == reference.fnv1a64, "'\(reference.text)'")
            for (count, expected) in reference.buckets {
                let bucketCount = try #require(Int(count))
                #expect(bucket(ofHash: FNV1a.hash(reference.text.utf8), bucketCount: bucketCount) == expected)
            }
        }
        // Pinned here too, so that a change to the fixture script cannot hide a change of hash.
        let model = try HashedTfidf()
        #expect(model.column(ofNGram: "the", isWord: true) == 51303)
        #expect(model.column(ofNGram: "the cat", isWord: true) == 14804)
        #expect(model.column(ofNGram: "caf", isWord: false) == 65536 + 18113)
        #expect(model.columnName(51303) == "tfidf_word_51303")
        #expect(model.columnName(65536 + 18113) == "tfidf_char_18113")
    }

    @Test func codableRoundTripKeepsTheFittedModel() throws {
        var model = try HashedTfidf(configuration: .init(wordBuckets: 1 << 10, characterBuckets: 1 << 9))
        let unfitted = try JSONDecoder().decode(HashedTfidf.self, from: JSONEncoder().encode(model))
        #expect(unfitted == model)
        #expect(!unfitted.isFitted)
        model.fit(["a first document", "a second one", "and a third, longer document"])
        let data = try JSONEncoder().encode(model)
        let restored = try JSONDecoder().decode(HashedTfidf.self, from: data)
        #expect(restored == model)
        #expect(restored.isFitted)
        #expect(restored.transform("the second document") == model.transform("the second document"))
        // Base64 of 4 bytes per bucket, not a list of numbers.
        #expect(data.count < 4 * model.columns * 4 / 3 + 400)

        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        json["idf_float32_le_base64"] = "AAAAAA=="
        let corrupted = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(HashedTfidf.self, from: corrupted) }
    }

    @Test func invalidConfigurationsAreRejected() {
        #expect(throws: FeaturesError.self) { try HashedTfidf(configuration: .init(wordBuckets: 0, characterBuckets: 0)) }
        #expect(throws: FeaturesError.self) { try HashedTfidf(configuration: .init(wordBuckets: -1)) }
        #expect(throws: FeaturesError.self) { try HashedTfidf(configuration: .init(wordNGrams: 0...2)) }
        #expect(throws: FeaturesError.self) { try HashedTfidf(configuration: .init(characterNGrams: 3...40)) }
    }

    @Test func responseDifferencesAreAMinusBAndChangeSignWhenSwapped() throws {
        let battles = Array(try sampleBattles().prefix(60))
        var model = try HashedTfidf(configuration: .init(wordBuckets: 1 << 12, characterBuckets: 1 << 12))
        model.fit(responsesOf: battles)
        #expect(model.documentCount == 120)
        let differences = model.responseDifferences(battles)
        #expect(differences.rows == battles.count)
        #expect(differences.columns == model.columns)
        for index in [0, 7, 59] {
            let battle = battles[index]
            let a = model.transform(HashedTfidf.text(ofTurns: battle.responseA))
            let b = model.transform(HashedTfidf.text(ofTurns: battle.responseB))
            #expect(differences.row(index) == a - b)
        }
        #expect(model.responseDifferences(battles.map(\.swapped)) == differences.negated())
        let documents = battles.flatMap { [HashedTfidf.text(ofTurns: $0.responseA), HashedTfidf.text(ofTurns: $0.responseB)] }
        var refitted = model
        refitted.fit(documents)
        #expect(refitted == model)
        let transformed = model.transform(documents)
        #expect(transformed.rows == documents.count)
        #expect(transformed.row(3) == model.transform(documents[3]))
    }
}

@Suite struct SparseTests {
    @Test func differenceMergesSortedEntriesAndDropsCancellations() throws {
        let left = try SparseVector(indices: [1, 3, 7], values: [1, 2, 0.5])
        let right = try SparseVector(indices: [3, 4], values: [2, 1])
        let difference = left - right
        #expect(difference.indices == [1, 4, 7])
        #expect(difference.values == [1, -1, 0.5])
        #expect(difference[4] == -1)
        #expect(difference[3] == 0)
        #expect((-difference).values == [-1, 1, -0.5])
        #expect(throws: FeaturesError.self) { try SparseVector(indices: [3, 1], values: [1, 1]) }
        #expect(throws: FeaturesError.self) { try SparseVector(indices: [1], values: []) }
    }

    @Test func csrLayoutWithADenseBlockFirst() throws {
        let dense = try FeatureMatrix(names: ["x", "y"], rows: 3, values: [1, 0, 3, 4, 0, 0])
        let sparse = try SparseMatrix(
            rows: [try SparseVector(indices: [1], values: [5]), SparseVector(), try SparseVector(indices: [0, 2], values: [6, 7])],
            columns: 3)
        #expect(sparse.rowOffsets == [0, 1, 1, 3])
        #expect(sparse.columnIndices == [1, 0, 2])
        let joined = try SparseMatrix(dense: dense, followedBy: sparse)
        #expect(joined.columns == 5)
        #expect(joined.rows == 3)
        #expect(joined.rowOffsets == [0, 3, 5, 9])
        #expect(joined.columnIndices == [0, 1, 3, 0, 1, 0, 1, 2, 4])
        #expect(joined.values == [1, 0, 5, 3, 4, 0, 0, 6, 7])
        #expect(joined.storedCount == 9)

        let short = try FeatureMatrix(names: ["x"], rows: 1, values: [1])
        #expect(throws: FeaturesError.rowCountMismatch(left: 1, right: 3)) {
            try SparseMatrix(dense: short, followedBy: sparse)
        }
        var matrix = SparseMatrix(columns: 2)
        #expect(throws: FeaturesError.self) { try matrix.append(try SparseVector(indices: [2], values: [1])) }
    }
}

/// Timings on 57,477 synthetic battles (the size of the Kaggle training file). Opt-in, in a
/// release build:
///
///     ARENA_FEATURE_TIMING=1 swift test -c release --filter FeatureTimingTests
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ARENA_FEATURE_TIMING"] != nil))
struct FeatureTimingTests {
    @Test func fullSizeTimings() throws {
        let rows = Int(ProcessInfo.processInfo.environment["ARENA_FEATURE_ROWS"] ?? "") ?? 57_477
        let generator = SyntheticBattleGenerator(seed: 0)
        let battles = (0..<rows).map { generator.row(index: $0).battle }
        let characters = battles.reduce(0) { total, battle in
            total + (battle.prompt + battle.responseA + battle.responseB).reduce(0) { $0 + characterCount($1) }
        }
        print("timing: \(rows) battles, \(characters) characters")
        /// Runs `body`; prints its wall time and the process's CPU time (on an otherwise idle
        /// machine, CPU time / cores is about what the wall time would be).
        func measure(_ label: String, _ body: () -> Void) {
            let (cpuStart, wallStart) = (clock(), ContinuousClock.now)
            body()
            let cpu = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
            print("timing: \(label): wall \(ContinuousClock.now - wallStart), CPU \(cpu) s")
        }
        var matrix: FeatureMatrix?
        measure("hand features") { matrix = HandFeatures.extract(battles) }
        var model = try HashedTfidf()
        measure("tf-idf fit") { model.fit(responsesOf: battles) }
        var differences: SparseMatrix?
        measure("tf-idf A - B transform") { differences = model.responseDifferences(battles) }
        let stored = differences?.storedCount ?? 0
        print("timing: \(matrix?.columns ?? 0) hand features; \(stored) stored tf-idf entries (\(stored / max(rows, 1)) per row)")
        measure("joining dense and sparse blocks") {
            if let matrix, let differences { _ = try? SparseMatrix(dense: matrix, followedBy: differences) }
        }
    }
}
