import Testing

@testable import ArenaData

@Suite struct StratifiedKFoldTests {
    let labels = (0..<1000).map { $0 % 10 < 4 ? 0 : ($0 % 10 < 7 ? 1 : 2) }

    @Test func everyFoldHasTheClassShares() throws {
        let folds = try StratifiedKFold.assign(labels: labels, folds: 5, seed: 0)
        for fold in 0..<5 {
            let rows = folds.indices.filter { folds[$0] == fold }
            #expect(rows.count == 200)
            let counts = (0..<3).map { label in rows.filter { labels[$0] == label }.count }
            #expect(counts == [80, 60, 60])
        }
    }

    @Test func seededAndReproducible() throws {
        let first = try StratifiedKFold.assign(labels: labels, folds: 5, seed: 7)
        #expect(first == (try StratifiedKFold.assign(labels: labels, folds: 5, seed: 7)))
        #expect(first != (try StratifiedKFold.assign(labels: labels, folds: 5, seed: 8)))
    }

    /// The generator's first outputs for seed 0, from the SplitMix64 reference
    /// (Vigna's splitmix64.c): a change of algorithm would change every fold and data set.
    @Test func splitMixReferenceValues() {
        var random = SeededRandom(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func tooFewRows() {
        #expect(throws: DataError.self) { try StratifiedKFold.assign(labels: [0, 1], folds: 5, seed: 0) }
        #expect(throws: DataError.self) { try StratifiedKFold.assign(labels: labels, folds: 1, seed: 0) }
    }

    @Test func holdoutIsStratifiedAndDisjoint() throws {
        let (train, heldOut) = try StratifiedKFold.holdout(labels: labels, fraction: 0.2, seed: 0)
        #expect(train.count == 800 && heldOut.count == 200)
        #expect(Set(train).isDisjoint(with: heldOut))
        #expect(heldOut.filter { labels[$0] == 0 }.count == 80)
    }
}

@Suite struct DuplicateTests {
    func battle(_ id: String, _ a: String, _ b: String = "b") -> Battle {
        Battle(id: id, prompt: ["p"], responseA: [a], responseB: [b])
    }

    @Test func groupsSamePromptAndResponses() {
        let battles = [battle("1", "x"), battle("2", "y"), battle("3", "x"), battle("4", "x"), battle("5", "x", "c")]
        #expect(Duplicates.groups(battles) == [[0, 2, 3]])
        #expect(Duplicates.firstOccurrences(battles) == [0, 1, 4])
        var counter = DuplicateCounter()
        for battle in battles { counter.add(battle) }
        #expect(counter.duplicates == 2)
    }

    /// Turn boundaries matter: ["ab"] and ["a", "b"] are different rows.
    @Test func turnBoundariesAreSignificant() {
        var counter = DuplicateCounter()
        counter.add(Battle(id: "1", prompt: ["ab"], responseA: ["x"], responseB: ["y"]))
        counter.add(Battle(id: "2", prompt: ["a", "b"], responseA: ["x"], responseB: ["y"]))
        counter.add(Battle(id: "3", prompt: ["ab"], responseA: ["y"], responseB: ["x"]))
        #expect(counter.duplicates == 0)
    }
}
