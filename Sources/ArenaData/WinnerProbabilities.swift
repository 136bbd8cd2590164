/// The probability of each outcome of one battle: P(A wins), P(B wins), P(tie). What every
/// model predicts, what post-processing transforms, what a submission row, an out-of-fold row
/// and the server's answer hold.
///
/// A fixed-size collection of three values indexed by class (`Winner.rawValue`: A = 0, B = 1,
/// tie = 2, the order of the Kaggle columns) or by ``Winner``. The values are as a model gave
/// them: finite or not, summing to 1 or not; ``Metrics`` (Evaluation) checks what a score needs.
/// In JSON it is the array `[P(A), P(B), P(tie)]`, the form run files have always used.
public struct WinnerProbabilities: Hashable, Sendable, MutableCollection, RandomAccessCollection {
    public var modelA: Double
    public var modelB: Double
    public var tie: Double

    public init(modelA: Double, modelB: Double, tie: Double) {
        self.modelA = modelA
        self.modelB = modelB
        self.tie = tie
    }

    /// Three values in class order; nil unless there are exactly three. Data read from a file
    /// or a tensor goes through here, and the reader names the row when this is nil.
    public init?(_ values: some Collection<Double>) {
        guard values.count == 3 else { return nil }
        var iterator = values.makeIterator()
        guard let a = iterator.next(), let b = iterator.next(), let tie = iterator.next() else { return nil }
        self.init(modelA: a, modelB: b, tie: tie)
    }

    /// The rows of a row-major `[rows][3]` block of single-precision values, as a model's
    /// softmax or XGBoost's `multi:softprob` returns them; nil unless the count is a multiple of 3.
    public static func rows(ofFlat flat: [Float]) -> [WinnerProbabilities]? {
        guard flat.count % 3 == 0 else { return nil }
        return stride(from: 0, to: flat.count, by: 3).map {
            WinnerProbabilities(modelA: Double(flat[$0]), modelB: Double(flat[$0 + 1]), tie: Double(flat[$0 + 2]))
        }
    }

    /// The value `value(winner)` for each outcome.
    public init(each value: (Winner) throws -> Double) rethrows {
        self.init(modelA: try value(.modelA), modelB: try value(.modelB), tie: try value(.tie))
    }

    /// The same probability for each outcome.
    public static let uniform = WinnerProbabilities(modelA: 1.0 / 3, modelB: 1.0 / 3, tie: 1.0 / 3)

    /// The probability of `winner`.
    public subscript(winner: Winner) -> Double {
        get { self[winner.rawValue] }
        set { self[winner.rawValue] = newValue }
    }

    /// The probabilities as the A/B-swapped battle reads them: P(A) and P(B) exchange
    /// (``Winner/swapPermutation``), P(tie) stays.
    public var swapped: WinnerProbabilities {
        var result = self
        for (index, source) in Winner.swapPermutation.enumerated() { result[index] = self[source] }
        return result
    }

    /// The most probable outcome; the lowest class index on equal maxima, as numpy's `argmax`.
    public var mostLikely: Winner {
        var best = 0
        for index in indices.dropFirst() where self[index] > self[best] { best = index }
        return Winner(rawValue: best) ?? .modelA
    }

    /// Each value transformed by `transform`.
    public func mapValues(_ transform: (Double) throws -> Double) rethrows -> WinnerProbabilities {
        WinnerProbabilities(modelA: try transform(modelA), modelB: try transform(modelB), tie: try transform(tie))
    }

    /// The values combined pairwise with those of `other`.
    public func combined(with other: WinnerProbabilities, _ combine: (Double, Double) -> Double) -> WinnerProbabilities {
        WinnerProbabilities(modelA: combine(modelA, other.modelA), modelB: combine(modelB, other.modelB), tie: combine(tie, other.tie))
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { 3 }
    public func index(after index: Int) -> Int { index + 1 }
    public func index(before index: Int) -> Int { index - 1 }

    /// The probability of class `index` (0, 1 or 2; any other index is a programming error, as
    /// for an array).
    public subscript(index: Int) -> Double {
        get {
            switch index {
            case 0: return modelA
            case 1: return modelB
            case 2: return tie
            default: preconditionFailure("class index \(index) out of 0..<3")
            }
        }
        set {
            switch index {
            case 0: modelA = newValue
            case 1: modelB = newValue
            case 2: tie = newValue
            default: preconditionFailure("class index \(index) out of 0..<3")
            }
        }
    }
}

extension WinnerProbabilities: ExpressibleByArrayLiteral {
    /// `[P(A), P(B), P(tie)]` written in code; three values or a programming error.
    public init(arrayLiteral values: Double...) {
        precondition(values.count == 3, "WinnerProbabilities needs three values, P(A), P(B), P(tie); got \(values.count)")
        self.init(modelA: values[0], modelB: values[1], tie: values[2])
    }
}

extension WinnerProbabilities: Codable {
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var values: [Double] = []
        while !container.isAtEnd { values.append(try container.decode(Double.self)) }
        guard let probabilities = WinnerProbabilities(values) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "\(values.count) probabilities; expected three, P(A), P(B), P(tie)"))
        }
        self = probabilities
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for value in self { try container.encode(value) }
    }
}

extension WinnerProbabilities: CustomStringConvertible {
    public var description: String { "[\(modelA), \(modelB), \(tie)]" }
}
