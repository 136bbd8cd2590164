/// Seeded, stratified assignment of rows to k folds: each class is shuffled on its own and dealt
/// round-robin, so every fold holds nearly the same share of A, B and tie.
public enum StratifiedKFold {
    /// The fold (0..<folds) of each row, for rows labelled by `labels` (class indices).
    /// Throws when there are fewer rows than folds.
    public static func assign(labels: [Int], folds: Int, seed: UInt64) throws(DataError) -> [Int] {
        guard folds >= 2 else { throw DataError.invalidArgument("the number of folds must be at least 2 (got \(folds))") }
        guard labels.count >= folds else {
            throw DataError.invalidArgument("\(labels.count) rows cannot be split into \(folds) folds")
        }
        var random = SeededRandom(seed: seed)
        var byClass: [Int: [Int]] = [:]
        for (row, label) in labels.enumerated() { byClass[label, default: []].append(row) }
        var assignment = [Int](repeating: 0, count: labels.count)
        // Continue the round-robin across classes so fold sizes differ by at most one.
        var next = 0
        for label in byClass.keys.sorted() {
            var rows = byClass[label] ?? []
            random.shuffle(&rows)
            for row in rows {
                assignment[row] = next
                next = (next + 1) % folds
            }
        }
        return assignment
    }

    /// Row indices of a train / validation split with `fraction` of the rows (stratified) held out.
    public static func holdout(labels: [Int], fraction: Double, seed: UInt64) throws(DataError) -> (train: [Int], heldOut: [Int]) {
        guard fraction > 0, fraction < 1 else {
            throw DataError.invalidArgument("the held-out fraction must be between 0 and 1 (got \(fraction))")
        }
        var random = SeededRandom(seed: seed)
        var byClass: [Int: [Int]] = [:]
        for (row, label) in labels.enumerated() { byClass[label, default: []].append(row) }
        var train: [Int] = []
        var heldOut: [Int] = []
        for label in byClass.keys.sorted() {
            var rows = byClass[label] ?? []
            random.shuffle(&rows)
            let count = Int((Double(rows.count) * fraction).rounded())
            heldOut += rows.prefix(count)
            train += rows.dropFirst(count)
        }
        guard !train.isEmpty, !heldOut.isEmpty else {
            throw DataError.invalidArgument("\(labels.count) rows are too few to hold out a fraction of \(fraction)")
        }
        return (train.sorted(), heldOut.sorted())
    }
}
