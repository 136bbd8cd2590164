/// What a data set holds, as the reference notebooks' data analysis looks at it: class balance,
/// the LLMs and their win rates, turns per row, response lengths, verbosity bias (length
/// difference against the winner), position bias, decode failures, duplicates, empty and
/// identical responses. Built in one streaming pass (`DatasetSummary.Accumulator`), so a large
/// file is never held whole.
public struct DatasetSummary: Codable, Sendable, Equatable {
    public var path: String
    /// Data rows in the file, decodable or not.
    public var rowsRead: Int
    /// Rows whose text cells decoded (the rows every other figure counts).
    public var rows: Int
    public var decodeFailures: Int
    public var decodeFailureExamples: [String]
    public var nullTurns: Int
    public var repairedCharacters: Int
    /// Counts per class (A, B, tie) when the file has labels.
    public var classCounts: ClassCounts?
    public var models: [ModelStats]
    /// Rows per number of turns, ascending by turns.
    public var turnsPerRow: [TurnCount]
    public var promptLength: LengthStats
    public var responseLength: LengthStats
    /// The A - B response length difference in characters, bucketed, against the winner.
    public var lengthDifference: [LengthBucket]
    public var duplicates: Int
    public var emptyResponses: EmptyResponses
    public var identicalResponses: IdenticalResponses

    public struct ClassCounts: Codable, Sendable, Equatable {
        public var modelA: Int
        public var modelB: Int
        public var tie: Int
        public var total: Int { modelA + modelB + tie }
        /// Among decisive votes, the share won by the response shown first (A); 0.5 is no bias.
        public var positionBiasAWinShare: Double? {
            modelA + modelB > 0 ? Double(modelA) / Double(modelA + modelB) : nil
        }
        /// How many standard errors the A share is from 0.5 (normal approximation to the binomial).
        public var positionBiasZ: Double? {
            let decisive = Double(modelA + modelB)
            guard decisive > 0 else { return nil }
            return (Double(modelA) - decisive / 2) / (decisive / 4).squareRoot()
        }
    }

    public struct ModelStats: Codable, Sendable, Equatable {
        public var name: String
        public var battles: Int
        public var wins: Int
        public var losses: Int
        public var ties: Int
        /// Wins over labelled battles (ties count as not won), nil without labels.
        public var winRate: Double? {
            wins + losses + ties > 0 ? Double(wins) / Double(wins + losses + ties) : nil
        }
    }

    public struct TurnCount: Codable, Sendable, Equatable {
        public var turns: Int
        public var rows: Int
    }

    /// Length statistics in characters (Unicode scalars, as Python's len counts).
    public struct LengthStats: Codable, Sendable, Equatable {
        public var count: Int
        public var mean: Double
        public var median: Double
        public var p10: Double
        public var p90: Double
        public var p99: Double
        public var max: Int

        static func of(_ values: [Int]) -> LengthStats {
            guard !values.isEmpty else { return LengthStats(count: 0, mean: 0, median: 0, p10: 0, p90: 0, p99: 0, max: 0) }
            let sorted = values.sorted()
            let mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
            return LengthStats(
                count: sorted.count, mean: mean, median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1),
                p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.count - 1])
        }
    }

    public struct LengthBucket: Codable, Sendable, Equatable {
        /// Human-readable range of A - B characters, such as "-300 to -100".
        public var label: String
        /// Inclusive lower bound (nil: unbounded).
        public var lower: Int?
        /// Exclusive upper bound (nil: unbounded).
        public var upper: Int?
        public var rows: Int
        public var winsA: Int
        public var winsB: Int
        public var ties: Int
    }

    public struct EmptyResponses: Codable, Sendable, Equatable {
        /// Rows where response A (all its turns) is empty or whitespace.
        public var responseA: Int
        public var responseB: Int
        public var both: Int
    }

    public struct IdenticalResponses: Codable, Sendable, Equatable {
        public var rows: Int
        /// Labelled identical rows by winner (A, B, tie).
        public var winsA: Int
        public var winsB: Int
        public var ties: Int
    }

    /// Edges of the length-difference buckets (characters of A minus B), symmetric around 0.
    public static let lengthDifferenceEdges = [-1000, -300, -100, -30, 30, 100, 300, 1000]

    /// Collects a summary row by row.
    public struct Accumulator {
        private var path: String
        private var classCounts = ClassCounts(modelA: 0, modelB: 0, tie: 0)
        private var labelled = 0
        private var models: [String: ModelStats] = [:]
        private var turns: [Int: Int] = [:]
        private var promptLengths: [Int] = []
        private var responseLengths: [Int] = []
        private var buckets: [LengthBucket]
        private var duplicateCounter = DuplicateCounter()
        private var empty = EmptyResponses(responseA: 0, responseB: 0, both: 0)
        private var identical = IdenticalResponses(rows: 0, winsA: 0, winsB: 0, ties: 0)
        private var rows = 0

        public init(path: String) {
            self.path = path
            let edges = DatasetSummary.lengthDifferenceEdges
            var buckets: [LengthBucket] = []
            for index in 0...edges.count {
                let lower = index == 0 ? nil : edges[index - 1]
                let upper = index == edges.count ? nil : edges[index]
                let label: String
                switch (lower, upper) {
                case let (nil, upper?): label = "< \(upper)"
                case let (lower?, nil): label = "≥ \(lower)"
                case let (lower?, upper?): label = "\(lower) to \(upper)"
                default: label = "all"
                }
                buckets.append(LengthBucket(label: label, lower: lower, upper: upper, rows: 0, winsA: 0, winsB: 0, ties: 0))
            }
            self.buckets = buckets
        }

        public mutating func add(_ battle: Battle) {
            rows += 1
            let lengthA = battle.responseA.reduce(0) { $0 + characterCount($1) }
            let lengthB = battle.responseB.reduce(0) { $0 + characterCount($1) }
            promptLengths.append(battle.prompt.reduce(0) { $0 + characterCount($1) })
            responseLengths.append(lengthA)
            responseLengths.append(lengthB)
            turns[battle.turnCount, default: 0] += 1
            duplicateCounter.add(battle)

            let emptyA = battle.responseA.allSatisfy(isBlank)
            let emptyB = battle.responseB.allSatisfy(isBlank)
            if emptyA { empty.responseA += 1 }
            if emptyB { empty.responseB += 1 }
            if emptyA && emptyB { empty.both += 1 }
            let same = battle.responseA == battle.responseB
            if same { identical.rows += 1 }

            let difference = lengthA - lengthB
            let bucket = DatasetSummary.lengthDifferenceEdges.firstIndex(where: { difference < $0 })
                ?? DatasetSummary.lengthDifferenceEdges.count
            buckets[bucket].rows += 1

            for (name, side) in [(battle.modelA, Winner.modelA), (battle.modelB, Winner.modelB)] {
                guard let name else { continue }
                var stats = models[name] ?? ModelStats(name: name, battles: 0, wins: 0, losses: 0, ties: 0)
                stats.battles += 1
                if let winner = battle.winner {
                    if winner == .tie { stats.ties += 1 } else if winner == side { stats.wins += 1 } else { stats.losses += 1 }
                }
                models[name] = stats
            }

            guard let winner = battle.winner else { return }
            labelled += 1
            switch winner {
            case .modelA:
                classCounts.modelA += 1
                buckets[bucket].winsA += 1
                if same { identical.winsA += 1 }
            case .modelB:
                classCounts.modelB += 1
                buckets[bucket].winsB += 1
                if same { identical.winsB += 1 }
            case .tie:
                classCounts.tie += 1
                buckets[bucket].ties += 1
                if same { identical.ties += 1 }
            }
        }

        /// The summary of the rows added, with the reader's report of what it skipped.
        public func finish(report: LoadReport) -> DatasetSummary {
            DatasetSummary(
                path: path, rowsRead: report.rowsRead, rows: rows, decodeFailures: report.skippedRows,
                decodeFailureExamples: report.skippedExamples.map(\.description), nullTurns: report.nullTurns,
                repairedCharacters: report.repairedCharacters, classCounts: labelled > 0 ? classCounts : nil,
                models: models.values.sorted { ($0.battles, $1.name) > ($1.battles, $0.name) },
                turnsPerRow: turns.keys.sorted().map { TurnCount(turns: $0, rows: turns[$0] ?? 0) },
                promptLength: .of(promptLengths), responseLength: .of(responseLengths), lengthDifference: buckets,
                duplicates: duplicateCounter.duplicates, emptyResponses: empty, identicalResponses: identical)
        }
    }

    /// Reads `path` in one streaming pass and summarises it. Rows whose text does not decode
    /// are counted, not fatal; labels are used when the file has them.
    public static func summarize(path: String) throws(DataError) -> DatasetSummary {
        let reader = try BattleReader(path: path, options: .analysis)
        var accumulator = Accumulator(path: path)
        while let battle = try reader.next() { accumulator.add(battle) }
        return accumulator.finish(report: reader.report)
    }
}

/// The number of Unicode scalars in `text` (what Python's `len` returns), counted on the UTF-8
/// bytes without decoding.
@inlinable
public func characterCount(_ text: String) -> Int {
    var copy = text
    return copy.withUTF8 { bytes in
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }
}

private func isBlank(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
}

/// Linear-interpolation quantile of sorted values (numpy's default method).
func quantile(_ sorted: [Int], _ q: Double) -> Double {
    let position = q * Double(sorted.count - 1)
    let lower = Int(position)
    let upper = min(lower + 1, sorted.count - 1)
    let fraction = position - Double(lower)
    return Double(sorted[lower]) + (Double(sorted[upper]) - Double(sorted[lower])) * fraction
}
