import ArenaData
import Features
import Foundation
import Prediction

/// Where a run's embeddings came from: the encoder and every setting that changes the vectors
/// (as `arena embed` records them in its file), and the training file's texts. Stored in the
/// run's settings, so that prediction embeds new battles the same way or checks a file given.
public struct EmbeddingSource: Codable, Sendable, Equatable {
    /// The encoder folder, as an absolute path.
    public var model: String
    /// Its `model_type` (bert, deberta-v2, ...).
    public var modelType: String
    /// mean or first.
    public var pooling: String
    public var maxLength: Int
    public var normalized: Bool
    /// float32, bfloat16 or float16.
    public var precision: String
    /// The vector width.
    public var width: Int
    /// The training embeddings file, as given.
    public var file: String
    /// The digest of the embedded texts (`texts_fnv1a`), of the training rows for a run.
    public var textsFingerprint: String

    public init(
        model: String, modelType: String, pooling: String, maxLength: Int, normalized: Bool, precision: String, width: Int, file: String,
        textsFingerprint: String
    ) {
        self.model = model
        self.modelType = modelType
        self.pooling = pooling
        self.maxLength = maxLength
        self.normalized = normalized
        self.precision = precision
        self.width = width
        self.file = file
        self.textsFingerprint = textsFingerprint
    }

    /// The encoder settings that must agree for two files' vectors to be comparable, by the
    /// names `arena embed` writes in its metadata.
    public var encoderFields: [(name: String, value: String)] {
        [
            ("model", model), ("model_type", modelType), ("pooling", pooling), ("max_length", String(maxLength)),
            ("normalized", normalized ? "true" : "false"), ("precision", precision), ("width", String(width)),
        ]
    }
}

/// The embedding features of a feature-model run: which columns, and the embeddings they were
/// computed from (`settings.embeddings` in config.json).
public struct EmbeddingSettings: Codable, Sendable, Equatable {
    public var features: EmbeddingFeatures.Configuration
    public var source: EmbeddingSource

    public init(features: EmbeddingFeatures.Configuration, source: EmbeddingSource) {
        self.features = features
        self.source = source
    }
}

/// The embedding columns of a fitted featurizer (in model.json): the configuration and the width
/// they were computed at.
public struct EmbeddingColumns: Codable, Sendable, Equatable {
    public var features: EmbeddingFeatures.Configuration
    public var width: Int

    public var names: [String] { EmbeddingFeatures.names(features) }
    public var swapPermutation: SwapPermutation { EmbeddingFeatures.swapPermutation(features) }

    /// The features of `embeddings`; throws a training error when their width is another.
    func extract(_ embeddings: BattleEmbeddings?, rows: Int) throws(TrainingError) -> FeatureMatrix {
        guard let embeddings else { throw TrainingError.setting(name: "embeddings", problem: "are needed: the model was trained with embedding features") }
        guard embeddings.width == width, embeddings.rows == rows else {
            throw TrainingError.setting(
                name: "embeddings",
                problem: "hold \(embeddings.rows) rows of width \(embeddings.width); expected \(rows) rows of width \(width)")
        }
        do { return try EmbeddingFeatures.extract(embeddings, configuration: features) } catch {
            throw TrainingError.setting(name: "embeddings", problem: "\(error)")
        }
    }
}

extension FeatureMatrix {
    /// The columns of `self` followed by those of `other` (same number of rows).
    func joined(with other: FeatureMatrix) throws(TrainingError) -> FeatureMatrix {
        guard rows == other.rows else { throw TrainingError.invariant("joining \(rows) feature rows with \(other.rows)") }
        var values = [Float]()
        values.reserveCapacity(rows * (columns + other.columns))
        for row in 0..<rows {
            values += self.row(row)
            values += other.row(row)
        }
        do { return try FeatureMatrix(names: names + other.names, rows: rows, values: values) } catch {
            throw TrainingError.invariant("feature matrix: \(error)")
        }
    }
}
