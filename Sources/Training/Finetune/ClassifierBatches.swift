import ArenaData
import Models
import Torch

/// A battle encoded for a classifier: its sequences as given and with A and B exchanged.
public struct EncodedBattle: Sendable {
    public var direct: [[Int]]
    public var swapped: [[Int]]?

    /// The longest sequence, for length batching.
    public var length: Int { direct.map(\.count).max() ?? 0 }
}

extension BattleEncoder {
    /// Every battle's sequences (and the swapped ones when `swapped`).
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

    /// The model input for rows given as their sequence lists (one per side for pair).
    public func input(_ rows: [[[Int]]]) throws -> ClassifierInput {
        switch classifier.architecture {
        case .cross:
            let (ids, mask) = try padded(rows.map { $0[0] })
            return .cross(ids: ids, mask: mask)
        case .pair:
            let (idsA, maskA) = try padded(rows.map { $0[0] })
            let (idsB, maskB) = try padded(rows.map { $0[1] })
            return .pair(idsA: idsA, maskA: maskA, idsB: idsB, maskB: maskB)
        }
    }

    /// Logits under the run's precision (autocast when bfloat16/float16), as float32.
    public func logits(_ input: ClassifierInput) throws -> Tensor {
        let dtype: DType = precision == .float16 ? .float16 : .bfloat16
        return try withAutocast(device: device, dtype: dtype, enabled: precision != .float32) {
            try classifier.logits(input)
        }.to(.float32)
    }

    /// Probabilities [rows][3] for `rows`, in order, batched by length, dropout off, no gradients.
    public func probabilities(_ rows: [[[Int]]], batchSize: Int) throws -> [[Double]] {
        let wasTraining = classifier.training
        classifier.training = false
        defer { classifier.training = wasTraining }
        let lengths = rows.map { $0.map(\.count).max() ?? 0 }
        var result = [[Double]](repeating: [], count: rows.count)
        try withNoGrad {
            for batch in LengthBatching.batches(lengths: lengths, maxBatchSize: batchSize) {
                let logits = try self.logits(try input(batch.map { rows[$0] }))
                let values = try logits.softmax(dim: -1).floats()
                for (offset, row) in batch.enumerated() {
                    result[row] = (0..<3).map { Double(values[offset * 3 + $0]) }
                }
            }
        }
        return result
    }

    /// Probabilities for encoded battles, averaged with the swapped battles' when they are
    /// encoded.
    public func predict(_ battles: [EncodedBattle], batchSize: Int) throws -> [[Double]] {
        let direct = try probabilities(battles.map(\.direct), batchSize: batchSize)
        let swappedRows = battles.compactMap(\.swapped)
        guard swappedRows.count == battles.count, !battles.isEmpty else { return direct }
        return SwapAveraging.combine(direct: direct, swapped: try probabilities(swappedRows, batchSize: batchSize))
    }
}
