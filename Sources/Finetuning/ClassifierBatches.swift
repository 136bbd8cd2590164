import ArenaData
import Features
import Models
import Prediction
import Runs
import Torch

/// The token ids of one battle in one orientation, as its architecture reads them.
public enum EncodedTokens: Sendable, Equatable {
    /// Cross: the prompt and both responses in one sequence.
    case cross([Int])
    /// Pair: (prompt, first response) and (prompt, second response).
    case pair([Int], [Int])

    /// The sequences in order: one for cross, two for pair.
    public var sequences: [[Int]] {
        switch self {
        case let .cross(sequence): return [sequence]
        case let .pair(first, second): return [first, second]
        }
    }
}

/// What the model reads of one battle in one orientation: its tokens and, for the numeric
/// turn-length features, each side's standardised statistics.
public struct EncodedView: Sendable, Equatable {
    public var tokens: EncodedTokens
    public var features: [[Float]]?

    public init(tokens: EncodedTokens, features: [[Float]]? = nil) {
        self.tokens = tokens
        self.features = features
    }

    /// The sequences in order (one for cross, two for pair).
    public var sequences: [[Int]] { tokens.sequences }

    /// The longest sequence, for length batching.
    public var length: Int { sequences.map(\.count).max() ?? 0 }
}

/// A battle encoded for a classifier: as given and with A and B exchanged.
public struct EncodedBattle: Sendable {
    public var direct: EncodedView
    public var swapped: EncodedView?

    /// The view of one orientation (the direct one when the swapped one was not encoded).
    public func view(swapped: Bool) -> EncodedView { swapped ? self.swapped ?? direct : direct }
}

/// S3's 14 per-side turn-length statistics (``HandFeatures/turnLengthColumnsA``), standardised with a
/// mean and standard deviation fitted on the training rows (both sides pooled, so A and B are
/// scaled alike and the swap contract holds).
public struct FeatureScaling: Codable, Sendable, Equatable {
    public var mean: [Double]
    public var standardDeviation: [Double]

    public static var count: Int { HandFeatures.turnLengthColumnsA.count }

    /// The raw statistics of side A and side B.
    public static func rawSides(of battle: Battle) -> [[Double]] {
        let all = HandFeatures.extract(battle)
        return [HandFeatures.turnLengthColumnsA.map { Double(all[$0]) }, HandFeatures.turnLengthColumnsB.map { Double(all[$0]) }]
    }

    /// Fits the scaling with ``SwapPooledMoments``: a side's statistics in the swapped battle are
    /// the other side's, so pooling a battle with its swapped copy pools both sides.
    public static func fit(_ battles: [Battle]) -> FeatureScaling {
        var moments = SwapPooledMoments(columns: count)
        for battle in battles {
            let sides = rawSides(of: battle)
            moments.add(sides[0], mirrored: sides[1])
        }
        return FeatureScaling(mean: moments.means, standardDeviation: moments.deviations)
    }

    /// The standardised statistics of side A and side B.
    public func sides(of battle: Battle) -> [[Float]] {
        Self.rawSides(of: battle).map { side in (0..<Self.count).map { Float((side[$0] - mean[$0]) / standardDeviation[$0]) } }
    }
}

extension BattleEncoder {
    /// Every battle's views (and the swapped ones when `swapped`).
    public func encodeAll(_ battles: [Battle], swapped: Bool) throws -> [EncodedBattle] {
        try battles.map { battle in
            EncodedBattle(direct: try encode(battle), swapped: swapped ? try encode(battle, swapped: true) : nil)
        }
    }
}

/// Builds padded tensors and runs the classifier over many battles.
public struct ClassifierRunner {
    public let classifier: PreferenceClassifier
    public let paddingID: Int
    public let device: Device
    public let precision: Precision

    public init(classifier: PreferenceClassifier, paddingID: Int, device: Device, precision: Precision) {
        self.classifier = classifier
        self.paddingID = paddingID
        self.device = device
        self.precision = precision
    }

    /// Right-padded ids and mask [rows, longest], int64, on the device.
    func padded(_ sequences: [[Int]]) throws -> (ids: Tensor, mask: Tensor) {
        let length = sequences.map(\.count).max() ?? 0
        var ids = [Int64]()
        var mask = [Int64]()
        ids.reserveCapacity(sequences.count * length)
        mask.reserveCapacity(sequences.count * length)
        for sequence in sequences {
            for id in sequence {
                ids.append(Int64(id))
                mask.append(1)
            }
            for _ in sequence.count..<length {
                ids.append(Int64(paddingID))
                mask.append(0)
            }
        }
        let shape = [sequences.count, length]
        return (try Tensor(ids, shape: shape).to(device), try Tensor(mask, shape: shape).to(device))
    }

    /// The model input for a batch of views.
    public func input(_ rows: [EncodedView]) throws -> ClassifierInput {
        switch classifier.architecture {
        case .cross:
            let sequences = try rows.map { row throws(TrainingError) -> [Int] in
                guard case let .cross(sequence) = row.tokens else { throw TrainingError.invariant("a pair-encoded battle given to a cross classifier") }
                return sequence
            }
            let (ids, mask) = try padded(sequences)
            return .cross(ids: ids, mask: mask)
        case .pair:
            let pairs = try rows.map { row throws(TrainingError) -> (first: [Int], second: [Int]) in
                guard case let .pair(first, second) = row.tokens else { throw TrainingError.invariant("a cross-encoded battle given to a pair classifier") }
                return (first, second)
            }
            let (idsA, maskA) = try padded(pairs.map(\.first))
            let (idsB, maskB) = try padded(pairs.map(\.second))
            var features: (a: Tensor, b: Tensor)?
            if classifier.numericFeatureCount > 0 {
                let width = classifier.numericFeatureCount
                func side(_ index: Int) throws -> Tensor {
                    let values = try rows.flatMap { row throws -> [Float] in
                        guard let features = row.features, features.count == 2, features[index].count == width else {
                            throw TrainingError.invariant("the model takes \(width) numeric features per side; the batch has none or another count")
                        }
                        return features[index]
                    }
                    return try Tensor(values, shape: [rows.count, width]).to(device)
                }
                features = (try side(0), try side(1))
            }
            return .pair(idsA: idsA, maskA: maskA, idsB: idsB, maskB: maskB, features: features)
        }
    }

    /// Logits under the run's precision (autocast when bfloat16/float16), as float32.
    public func logits(_ input: ClassifierInput) throws -> Tensor {
        return try precision.autocast(on: device) {
            try classifier.logits(input)
        }.to(.float32)
    }

    /// Probabilities [rows][3] for `rows`, in order, batched by length, dropout off, no gradients.
    public func probabilities(_ rows: [EncodedView], batchSize: Int) throws -> [WinnerProbabilities] {
        let wasTraining = classifier.training
        classifier.training = false
        defer { classifier.training = wasTraining }
        var result = [WinnerProbabilities](repeating: .uniform, count: rows.count)
        try withNoGrad {
            for batch in LengthBatching.batches(lengths: rows.map(\.length), maxBatchSize: batchSize) {
                let logits = try self.logits(try input(batch.map { rows[$0] }))
                let values = try logits.softmax(dim: -1).floats()
                guard let probabilities = WinnerProbabilities.rows(ofFlat: values), probabilities.count == batch.count else {
                    throw TrainingError.invariant("the classifier gave \(values.count) probabilities for \(batch.count) rows; expected 3 per row")
                }
                for (row, probability) in zip(batch, probabilities) { result[row] = probability }
            }
        }
        return result
    }

    /// Probabilities for encoded battles, averaged with the swapped battles' when they are
    /// encoded.
    public func predict(_ battles: [EncodedBattle], batchSize: Int) throws -> [WinnerProbabilities] {
        let direct = try probabilities(battles.map(\.direct), batchSize: batchSize)
        let swappedRows = battles.compactMap(\.swapped)
        guard swappedRows.count == battles.count, !battles.isEmpty else { return direct }
        return SwapAveraging.combine(direct: direct, swapped: try probabilities(swappedRows, batchSize: batchSize))
    }
}
