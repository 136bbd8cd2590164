import ArenaData
import Foundation

/// Pooled sentence embeddings of battles: the prompt, response A and response B of each row
/// (what `arena embed` writes), row-major `[rows, width]` each.
public struct BattleEmbeddings: Sendable, Equatable {
    public let rows: Int
    public let width: Int
    public let prompt: [Float]
    public let responseA: [Float]
    public let responseB: [Float]

    /// Throws unless each block holds `rows * width` values.
    public init(rows: Int, width: Int, prompt: [Float], responseA: [Float], responseB: [Float]) throws(FeaturesError) {
        guard rows >= 0, width >= 1 else { throw FeaturesError.invalidConfiguration("embeddings need a width of at least 1 (got \(width))") }
        for block in [prompt, responseA, responseB] where block.count != rows * width {
            throw FeaturesError.shapeMismatch(expected: rows * width, found: block.count)
        }
        self.rows = rows
        self.width = width
        self.prompt = prompt
        self.responseA = responseA
        self.responseB = responseB
    }

    /// The embeddings of the A/B-swapped battles.
    public var swapped: BattleEmbeddings {
        // The shape is unchanged, so the checks hold.
        (try? BattleEmbeddings(rows: rows, width: width, prompt: prompt, responseA: responseB, responseB: responseA)) ?? self
    }
}

/// Features of a battle's embeddings for the feature model, after the hand features:
///
/// - `emb_cos_a_prompt`, `emb_cos_b_prompt`: cosine similarity of each response to the prompt;
/// - `emb_diff_cos_prompt`: their difference (A - B);
/// - `emb_cos_ab`: cosine similarity of A and B (symmetric);
/// - `emb_diff_K` for K < `differenceColumns`: the A - B difference of the response vectors, raw
///   (when `differenceColumns` is the embedding width) or through a fixed seeded Gaussian
///   projection to fewer dimensions (no fitting, so no fold sees another's rows);
/// - `emb_prompt_K` for K < `promptColumns`: the prompt's vector (raw, first K dimensions of the
///   same kind of projection when fewer than the width); symmetric.
///
/// The swap contract (as for ``HandFeatures``): the features of the swapped battle equal
/// ``swapPermutation(_:)`` applied to the battle's, bit for bit: differences are taken per
/// element (exactly antisymmetric) and summed in double precision in a fixed order.
public enum EmbeddingFeatures {
    /// Which embedding features to compute; stored in a run's settings.
    public struct Configuration: Codable, Sendable, Equatable {
        /// Columns of the A - B response difference: 0 for none, the embedding width for the raw
        /// difference, fewer for a fixed projection.
        public var differenceColumns: Int
        /// Columns of the prompt vector: 0 for none, the width for the raw vector, fewer for a
        /// fixed projection.
        public var promptColumns: Int

        /// The defaults of `arena train --embeddings`, chosen by out-of-fold log loss on the real
        /// sample (docs/BENCHMARKS.md).
        public static let defaultDifferenceColumns = 32
        public static let defaultPromptColumns = 0

        public init(differenceColumns: Int = 0, promptColumns: Int = 0) {
            self.differenceColumns = differenceColumns
            self.promptColumns = promptColumns
        }

        /// Throws unless the column counts fit embeddings of `width`.
        public func validate(width: Int) throws(FeaturesError) {
            guard (0...width).contains(differenceColumns), (0...width).contains(promptColumns) else {
                throw FeaturesError.invalidConfiguration(
                    "embedding difference and prompt columns must be in 0...\(width), the embedding width (got \(differenceColumns) and \(promptColumns))")
            }
        }
    }

    /// The similarity columns, before the vector columns.
    public static let similarityNames = ["emb_cos_a_prompt", "emb_cos_b_prompt", "emb_diff_cos_prompt", "emb_cos_ab"]

    /// The names of the columns `extract` returns under `configuration`.
    public static func names(_ configuration: Configuration) -> [String] {
        similarityNames + (0..<configuration.differenceColumns).map { "emb_diff_\($0)" }
            + (0..<configuration.promptColumns).map { "emb_prompt_\($0)" }
    }

    /// The map from a battle's embedding features to its swapped battle's.
    public static func swapPermutation(_ configuration: Configuration) -> SwapPermutation {
        var sources = [1, 0, 2, 3]
        var signs: [Float] = [1, 1, -1, 1]
        for column in 0..<configuration.differenceColumns {
            sources.append(4 + column)
            signs.append(-1)
        }
        for column in 0..<configuration.promptColumns {
            sources.append(4 + configuration.differenceColumns + column)
            signs.append(1)
        }
        return SwapPermutation(unchecked: sources, signs: signs)
    }

    /// The features of every row of `embeddings`.
    public static func extract(_ embeddings: BattleEmbeddings, configuration: Configuration) throws(FeaturesError) -> FeatureMatrix {
        let width = embeddings.width
        try configuration.validate(width: width)
        let names = names(configuration)
        let differenceProjection = projection(rows: configuration.differenceColumns, width: width, seed: 0xD1FF)
        let promptProjection = projection(rows: configuration.promptColumns, width: width, seed: 0x9807)
        var values = [Float]()
        values.reserveCapacity(embeddings.rows * names.count)
        var difference = [Double](repeating: 0, count: width)
        for row in 0..<embeddings.rows {
            let range = (row * width)..<((row + 1) * width)
            let prompt = embeddings.prompt[range], a = embeddings.responseA[range], b = embeddings.responseB[range]
            let cosA = cosine(a, prompt), cosB = cosine(b, prompt)
            values += [Float(cosA), Float(cosB), Float(cosA - cosB), Float(cosine(a, b))]
            for index in 0..<width { difference[index] = Double(a[range.lowerBound + index] - b[range.lowerBound + index]) }
            values += project(difference, through: differenceProjection, columns: configuration.differenceColumns, width: width)
            let promptValues = prompt.map(Double.init)
            values += project(promptValues, through: promptProjection, columns: configuration.promptColumns, width: width)
        }
        return FeatureMatrix(checkedNames: names, rows: embeddings.rows, values: values)
    }

    /// The cosine similarity of two vectors in double precision; 0 when either is zero.
    public static func cosine(_ x: ArraySlice<Float>, _ y: ArraySlice<Float>) -> Double {
        var dot = 0.0, xx = 0.0, yy = 0.0
        for (u, v) in zip(x, y) {
            let (p, q) = (Double(u), Double(v))
            dot += p * q
            xx += p * p
            yy += q * q
        }
        let norms = (xx * yy).squareRoot()
        return norms > 0 ? dot / norms : 0
    }

    /// `columns` values of `vector`: the vector itself when `columns` is its width, else its
    /// product with the fixed projection.
    private static func project(_ vector: [Double], through matrix: [Double], columns: Int, width: Int) -> [Float] {
        if columns == 0 { return [] }
        if columns == width { return vector.map { Float($0) } }
        return (0..<columns).map { column in
            var sum = 0.0
            let base = column * width
            for index in 0..<width { sum += matrix[base + index] * vector[index] }
            return Float(sum)
        }
    }

    /// A fixed Gaussian projection `[rows, width]`, scaled by 1/sqrt(width); empty when `rows` is
    /// 0 or the width (raw vectors).
    static func projection(rows: Int, width: Int, seed: UInt64) -> [Double] {
        guard rows > 0, rows < width else { return [] }
        var random = SeededRandom(seed: seed)
        let scale = 1 / Double(width).squareRoot()
        return (0..<(rows * width)).map { _ in random.nextGaussian() * scale }
    }
}

extension SwapPermutation {
    /// This permutation over its columns followed by `other` over the next `other.columns`.
    public func appending(_ other: SwapPermutation) -> SwapPermutation {
        SwapPermutation(
            unchecked: sourceIndices + other.sourceIndices.map { $0 + columns }, signs: signs + other.signs)
    }
}
