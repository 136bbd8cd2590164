import ArenaData
import Boosting
import Evaluation
import Features
import Foundation
import Prediction
import Runs

/// The fast CPU model: hand-made features and a hashed TF-IDF difference of the two responses,
/// fed to XGBoost (`gbdt`: `hist` trees; `linear`: `gblinear`).
public struct FeatureModelSettings: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case gbdt
        case linear
    }

    public var kind: Kind
    public var parameters: BoosterParameters
    /// The most boosting rounds per fold.
    public var rounds: Int
    /// Rounds without improvement on the inner validation rows before a fold stops.
    public var earlyStoppingRounds: Int
    /// The share of each fold's training rows held out (stratified) for early stopping, so the
    /// out-of-fold rows never steer training.
    public var validationFraction: Double
    /// The n-gram features; nil for hand-made features alone.
    public var tfidf: HashedTfidf.Configuration?
    /// Train on A/B-swapped copies too (labels swapped).
    public var swapAugmentation: Bool
    /// Average each prediction with the swapped-back prediction of the swapped battle.
    public var swapAveraging: Bool
    /// Fit a temperature on the out-of-fold predictions.
    public var calibrate: Bool
    /// Consider fixed answers for identical and empty responses.
    public var edgeCases: Bool
    /// Features of pretrained embeddings (`arena embed`) after the hand features; nil for none.
    public var embeddings: EmbeddingSettings?
    /// Finished runs whose predictions are features (stacking); nil for none.
    public var stack: [StackedRun]?

    public init(
        kind: Kind, parameters: BoosterParameters, rounds: Int, earlyStoppingRounds: Int, validationFraction: Double,
        tfidf: HashedTfidf.Configuration?, swapAugmentation: Bool, swapAveraging: Bool, calibrate: Bool, edgeCases: Bool,
        embeddings: EmbeddingSettings? = nil
    ) {
        self.kind = kind
        self.parameters = parameters
        self.rounds = rounds
        self.earlyStoppingRounds = earlyStoppingRounds
        self.validationFraction = validationFraction
        self.tfidf = tfidf
        self.swapAugmentation = swapAugmentation
        self.swapAveraging = swapAveraging
        self.calibrate = calibrate
        self.edgeCases = edgeCases
        self.embeddings = embeddings
    }

    /// The defaults, chosen by 5-fold out-of-fold log loss on the real sample over three seeds
    /// (docs/BENCHMARKS.md). TF-IDF is off unless asked for: it did not lower the out-of-fold
    /// loss on the sample, and on 57k rows it costs most of the training time.
    public static func defaults(for kind: Kind, seed: UInt64 = 0, tfidf: Bool = false) -> FeatureModelSettings {
        switch kind {
        case .gbdt:
            return FeatureModelSettings(
                kind: .gbdt,
                parameters: BoosterParameters(
                    booster: .gbtree, learningRate: 0.05, maxDepth: 4, minChildWeight: 5, subsample: 0.8,
                    columnSampleByTree: 0.5, l2Regularization: 5, seed: Int(seed % 1_000_000)),
                rounds: 1000, earlyStoppingRounds: 50, validationFraction: 0.1,
                tfidf: tfidf ? HashedTfidf.Configuration(wordBuckets: 1 << 9, characterBuckets: 1 << 9) : nil,
                swapAugmentation: true, swapAveraging: true, calibrate: true, edgeCases: true)
        case .linear:
            return FeatureModelSettings(
                kind: .linear,
                parameters: BoosterParameters(
                    booster: .gblinear, learningRate: 0.5, l2Regularization: 1, l1Regularization: 0,
                    featureSelector: .shuffle, seed: Int(seed % 1_000_000)),
                rounds: 500, earlyStoppingRounds: 20, validationFraction: 0.1,
                tfidf: tfidf ? HashedTfidf.Configuration(wordBuckets: 1 << 12, characterBuckets: 1 << 12) : nil,
                swapAugmentation: true, swapAveraging: true, calibrate: true, edgeCases: true)
        }
    }
}

/// Column means and standard deviations of the dense features, fitted on battles and their
/// swapped copies together (``SwapPooledMoments``) so that scaling commutes with the A/B swap.
public struct Standardizer: Codable, Sendable, Equatable {
    public var means: [Float]
    public var scales: [Float]

    /// Fits `matrix`, whose swapped rows `swap` gives (the hand features' by default).
    public init(fitting matrix: FeatureMatrix, swap: SwapPermutation = HandFeatures.swapPermutation) {
        let columns = matrix.columns
        var moments = SwapPooledMoments(columns: columns)
        for row in 0..<matrix.rows {
            let values = matrix.row(row)
            let given = values.map(Double.init)
            // The swapped copy's value in each column.
            let mirrored = (0..<columns).map { Double(swap.signs[$0]) * given[swap.sourceIndices[$0]] }
            moments.add(given, mirrored: mirrored)
        }
        means = moments.means.map(Float.init)
        scales = moments.deviations.map(Float.init)
        // The largest standardised magnitude seen per column, over the rows and their swapped
        // copies (so the bound of a column equals that of its mirror and clipping commutes with
        // the A/B swap).
        var limits = [Float](repeating: 0, count: columns)
        for row in 0..<matrix.rows {
            let values = matrix.row(row)
            for column in 0..<columns {
                let z = abs((values[values.startIndex + column] - means[column]) / scales[column])
                let source = swap.sourceIndices[column]
                let mirrored = abs((values[values.startIndex + source] - means[source]) / scales[source])
                limits[column] = max(limits[column], z, mirrored)
            }
        }
        self.limits = limits
    }

    /// Per column, standardised values are clipped to [-limit, limit]: the range the model saw
    /// in training. A text far longer than any training text (300k characters) then counts as
    /// the longest seen instead of extrapolating a linear model to certainty (3.9e-20 for a
    /// side). nil in runs written before the limits existed (no clipping).
    public var limits: [Float]?

    /// The standardised, clipped value of `value` in `column`.
    @inline(__always)
    public func standardize(_ value: Float, column: Int) -> Float {
        let z = (value - means[column]) / scales[column]
        guard let limits else { return z }
        return min(max(z, -limits[column]), limits[column])
    }
}

/// Turns battles into XGBoost input: standardised hand features (and embedding features), then
/// the TF-IDF difference.
public struct BattleFeaturizer: Codable, Sendable {
    public var standardizer: Standardizer
    public var tfidf: HashedTfidf?
    /// The embedding feature columns, after the hand features; nil without embeddings.
    public var embeddings: EmbeddingColumns?
    /// The number of stacked runs whose predictions follow (``StackedFeatures``); nil for none.
    public var stackedRuns: Int?

    /// The names of the dense columns: the hand features, the embedding features, the stacked
    /// runs' predictions.
    public var denseNames: [String] {
        HandFeatures.names + (embeddings?.names ?? []) + StackedFeatures.names(members: stackedRuns ?? 0)
    }

    /// How the dense columns change under the A/B swap.
    public var swapPermutation: SwapPermutation {
        Self.swapPermutation(embeddings: embeddings, stackedRuns: stackedRuns)
    }

    static func swapPermutation(embeddings: EmbeddingColumns?, stackedRuns: Int?) -> SwapPermutation {
        var swap = HandFeatures.swapPermutation
        if let embeddings { swap = swap.appending(embeddings.swapPermutation) }
        if let stackedRuns { swap = swap.appending(StackedFeatures.swapPermutation(members: stackedRuns)) }
        return swap
    }

    /// The names of all columns, dense first.
    public var featureNames: [String] {
        denseNames + (tfidf?.columnNames ?? [])
    }

    public var columns: Int { denseNames.count + (tfidf?.columns ?? 0) }

    /// Fits the scaling and the IDF (unsupervised: no labels are used) on `battles` (and their
    /// `embeddings`, row for row, when `embeddingFeatures` is set, and the `stacked` runs'
    /// predictions of them).
    public init(
        fitting battles: [Battle], tfidf configuration: HashedTfidf.Configuration?,
        embeddings: BattleEmbeddings? = nil, embeddingFeatures: EmbeddingFeatures.Configuration? = nil,
        stacked: [[WinnerProbabilities]] = []
    ) throws(TrainingError) {
        var columns: EmbeddingColumns?
        if let embeddingFeatures {
            guard let embeddings else { throw TrainingError.setting(name: "embeddings", problem: "are needed for embedding features") }
            columns = EmbeddingColumns(features: embeddingFeatures, width: embeddings.width)
        }
        let stackedRuns = stacked.isEmpty ? nil : stacked.count
        let dense = try Self.dense(battles, embeddings: embeddings, columns: columns, stacked: stacked, stackedRuns: stackedRuns)
        standardizer = Standardizer(fitting: dense, swap: Self.swapPermutation(embeddings: columns, stackedRuns: stackedRuns))
        self.embeddings = columns
        self.stackedRuns = stackedRuns
        if let configuration {
            do { tfidf = try HashedTfidf(configuration: configuration) } catch {
                throw TrainingError.setting(name: "tfidf", problem: "\(error)")
            }
            tfidf?.fit(responsesOf: battles)
        }
    }

    /// The unscaled dense features: hand features, then the embedding columns and the stacked
    /// runs' predictions when set.
    static func dense(
        _ battles: [Battle], embeddings: BattleEmbeddings?, columns: EmbeddingColumns?, stacked: [[WinnerProbabilities]], stackedRuns: Int?
    ) throws(TrainingError) -> FeatureMatrix {
        var dense = HandFeatures.extract(battles)
        if let columns { dense = try dense.joined(with: columns.extract(embeddings, rows: battles.count)) }
        guard stacked.count == stackedRuns ?? 0 else {
            throw TrainingError.setting(name: "stack", problem: "has predictions of \(stacked.count) runs; the model takes \(stackedRuns ?? 0)")
        }
        if let stackedRuns, stackedRuns > 0 {
            do { dense = try dense.joined(with: StackedFeatures.extract(stacked, rows: battles.count)) } catch {
                throw TrainingError.invariant("stacked predictions: \(error)")
            }
        }
        return dense
    }

    /// The features of `battles` (with their `embeddings` when the featurizer has embedding
    /// columns, and the stacked runs' predictions of them), ready to select rows from.
    public func table(
        for battles: [Battle], embeddings batchEmbeddings: BattleEmbeddings? = nil, stacked: [[WinnerProbabilities]] = []
    ) throws(TrainingError) -> FeatureTable {
        let names = denseNames
        var values = try Self.dense(battles, embeddings: batchEmbeddings, columns: embeddings, stacked: stacked, stackedRuns: stackedRuns).values
        let width = names.count
        guard standardizer.means.count == width else {
            throw TrainingError.invariant("the standardizer has \(standardizer.means.count) columns; the features have \(width)")
        }
        for start in stride(from: 0, to: values.count, by: width) {
            for column in 0..<width {
                values[start + column] = standardizer.standardize(values[start + column], column: column)
            }
        }
        let dense: FeatureMatrix
        do { dense = try FeatureMatrix(names: names, rows: battles.count, values: values) } catch {
            throw TrainingError.invariant("feature matrix: \(error)")
        }
        return FeatureTable(dense: dense, sparse: tfidf?.responseDifferences(battles), swap: swapPermutation)
    }
}

/// Features of a set of battles: a dense block and an optional sparse block.
public struct FeatureTable: Sendable {
    public var dense: FeatureMatrix
    public var sparse: SparseMatrix?
    /// How the dense columns change under the A/B swap.
    public var swap: SwapPermutation = HandFeatures.swapPermutation

    public var rows: Int { dense.rows }
    public var columns: Int { dense.columns + (sparse?.columns ?? 0) }

    /// The CSR arrays of `rows` (as given, or A/B-swapped), for `DMatrix(csr:...)`.
    func csr(rows selection: [Int], swapped: Bool) -> (offsets: [Int], indices: [UInt32], values: [Float]) {
        let width = dense.columns
        var offsets = [0]
        offsets.reserveCapacity(selection.count + 1)
        var indices: [UInt32] = []
        var values: [Float] = []
        for row in selection {
            let denseRow = dense.row(row)
            let base = denseRow.startIndex
            for column in 0..<width {
                let value = swapped
                    ? swap.signs[column] * denseRow[base + swap.sourceIndices[column]]
                    : denseRow[base + column]
                indices.append(UInt32(column))
                values.append(value)
            }
            if let sparse {
                let start = sparse.rowOffsets[row]
                let end = sparse.rowOffsets[row + 1]
                for entry in start..<end {
                    indices.append(UInt32(width) + sparse.columnIndices[entry])
                    values.append(swapped ? -sparse.values[entry] : sparse.values[entry])
                }
            }
            offsets.append(indices.count)
        }
        return (offsets, indices, values)
    }

    /// An XGBoost matrix of `rows`; with `addSwapped`, their swapped copies follow them.
    func matrix(rows selection: [Int], addSwapped: Bool = false, swapped: Bool = false, labels: [Int]? = nil) throws(BoostingError)
        -> DMatrix
    {
        var (offsets, indices, values) = csr(rows: selection, swapped: swapped)
        // Class indices: A = 0, B = 1, tie = 2; a swap exchanges A and B.
        let swappedClass = { (label: Int) in Float(Winner.swappedIndex(label)) }
        var matrixLabels = labels.map { labels in selection.map { swapped ? swappedClass(labels[$0]) : Float(labels[$0]) } }
        if addSwapped {
            let mirror = csr(rows: selection, swapped: !swapped)
            let shift = indices.count
            offsets += mirror.offsets.dropFirst().map { $0 + shift }
            indices += mirror.indices
            values += mirror.values
            if let labels {
                matrixLabels? += selection.map { swapped ? Float(labels[$0]) : swappedClass(labels[$0]) }
            }
        }
        let matrix = try DMatrix(csr: offsets, columnIndices: indices, values: values, columns: columns)
        if let matrixLabels { try matrix.setLabels(matrixLabels) }
        return matrix
    }
}

extension RunConfig {
    /// The feature model's settings of a gbdt or linear run (`settings` in config.json).
    public func featureModelSettings(runPath: String = ".") throws(RunError) -> FeatureModelSettings? {
        try RunConfig.decode(FeatureModelSettings.self, from: settings, field: "settings", runPath: runPath)
    }

    /// Stores `settings` as the run's feature model settings.
    public mutating func setFeatureModelSettings(_ settings: FeatureModelSettings) throws {
        self.settings = try SettingsJSON(encoding: settings)
    }
}
