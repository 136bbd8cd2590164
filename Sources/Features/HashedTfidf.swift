import ArenaData
import Foundation

/// TF-IDF of word n-grams and character n-grams, hashed into a fixed number of buckets (no
/// vocabulary to store), with inverse document frequencies fitted on a corpus.
///
/// Analysis follows scikit-learn's `TfidfVectorizer`, so that with buckets enough to avoid
/// collisions the values are scikit-learn's:
/// - the text is lower-cased (Unicode), and every run of two or more ASCII whitespace characters
///   becomes one space (scikit-learn's `char` analyzer does the same);
/// - words are `WordTokenizer` tokens (scikit-learn's default `token_pattern`); a word n-gram is
///   n consecutive tokens joined by single spaces, n in `wordNGrams`;
/// - character n-grams are n consecutive Unicode scalars, n in `characterNGrams` (the `char`
///   analyzer, not `char_wb`);
/// - each n-gram's UTF-8 bytes are hashed (64-bit FNV-1a, MurmurHash3's finaliser, Lemire's
///   multiply-shift; see Hashing.swift) into `wordBuckets` or `characterBuckets` buckets. Word
///   buckets are columns `0 ..< wordBuckets`, character buckets follow;
/// - term frequency is the count, or 1 + ln(count) with `sublinearTermFrequency`; it is
///   multiplied by idf = ln((1 + n) / (1 + df)) + 1 (scikit-learn's `smooth_idf=True`), n the
///   number of documents and df those that hold the bucket;
/// - each family is L2-normalised on its own, as two vectorizers side by side would be: a
///   document with both word and character n-grams has norm sqrt(2), one with only one family
///   (or a configuration with one family) has norm 1, an empty one is the zero vector.
///
/// Before `fit`, every idf is 1.
///
/// Encoded as JSON, the fitted idf is the base64 of its Float32 little-endian bytes (the
/// default 131,072 buckets take about 700 KB).
public struct HashedTfidf: Sendable, Equatable {
    /// Which n-grams are hashed, into how many buckets, and how term frequency is counted.
    public struct Configuration: Codable, Sendable, Equatable {
        /// The word n-gram lengths.
        public var wordNGrams: ClosedRange<Int>
        /// The number of word buckets; 0 turns word n-grams off.
        public var wordBuckets: Int
        /// The character n-gram lengths.
        public var characterNGrams: ClosedRange<Int>
        /// The number of character buckets; 0 turns character n-grams off.
        public var characterBuckets: Int
        /// Whether term frequency is 1 + ln(count) rather than the count.
        public var sublinearTermFrequency: Bool

        /// Word 1-2-grams and character 3-5-grams, 2^16 buckets each, sublinear term frequency.
        public init(
            wordNGrams: ClosedRange<Int> = 1...2, wordBuckets: Int = 1 << 16,
            characterNGrams: ClosedRange<Int> = 3...5, characterBuckets: Int = 1 << 16,
            sublinearTermFrequency: Bool = true
        ) {
            self.wordNGrams = wordNGrams
            self.wordBuckets = wordBuckets
            self.characterNGrams = characterNGrams
            self.characterBuckets = characterBuckets
            self.sublinearTermFrequency = sublinearTermFrequency
        }

        /// The number of columns: word buckets, then character buckets.
        public var buckets: Int { wordBuckets + characterBuckets }

        func validate() throws(FeaturesError) {
            let limit = 1 << 30
            guard (0...limit).contains(wordBuckets), (0...limit).contains(characterBuckets) else {
                throw FeaturesError.invalidConfiguration("bucket counts must be between 0 and 2^30")
            }
            guard buckets > 0 else {
                throw FeaturesError.invalidConfiguration("at least one of word and character buckets must be positive")
            }
            for (name, range) in [("word", wordNGrams), ("character", characterNGrams)] {
                guard range.lowerBound >= 1, range.upperBound <= 16 else {
                    throw FeaturesError.invalidConfiguration(
                        "\(name) n-gram lengths must lie in 1...16 (got \(range.lowerBound)...\(range.upperBound))")
                }
            }
        }
    }

    /// The analysis and hashing settings.
    public let configuration: Configuration
    /// The number of documents `fit` saw.
    public private(set) var documentCount = 0
    /// The fitted idf of each bucket (`configuration.buckets` values), or empty before `fit`.
    public private(set) var inverseDocumentFrequencies: [Float] = []

    /// An unfitted model; throws if the configuration is out of range.
    public init(configuration: Configuration = Configuration()) throws(FeaturesError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Whether `fit` has run.
    public var isFitted: Bool { !inverseDocumentFrequencies.isEmpty }

    /// The number of columns of a transformed document.
    public var columns: Int { configuration.buckets }

    /// The name of a column, for importances: `tfidf_word_<bucket>` or `tfidf_char_<bucket>`.
    public func columnName(_ column: Int) -> String {
        column < configuration.wordBuckets
            ? "tfidf_word_\(column)" : "tfidf_char_\(column - configuration.wordBuckets)"
    }

    /// The names of all columns.
    public var columnNames: [String] { (0..<columns).map(columnName) }

    /// The bucket (column) of an n-gram as this model hashes it, or nil when its family is turned
    /// off: `text` is taken as it is (not lower-cased); `isWord` picks the word or the character
    /// family.
    public func column(ofNGram text: String, isWord: Bool) -> Int? {
        let hash = FNV1a.hash(text.utf8)
        if isWord {
            return configuration.wordBuckets > 0 ? bucket(ofHash: hash, bucketCount: configuration.wordBuckets) : nil
        }
        guard configuration.characterBuckets > 0 else { return nil }
        return configuration.wordBuckets + bucket(ofHash: hash, bucketCount: configuration.characterBuckets)
    }

    // MARK: - Fitting

    /// Fits the idf on `documents`, replacing any earlier fit.
    public mutating func fit(_ documents: [String]) {
        fit(documentCount: documents.count) { documents[$0] }
    }

    /// Fits the idf on the responses of `battles`, A and B of each one (2 documents per battle,
    /// turns joined as `HashedTfidf.text(ofTurns:)` joins them).
    public mutating func fit(responsesOf battles: [Battle]) {
        fit(documentCount: 2 * battles.count) { HashedTfidf.response($0, of: battles) }
    }

    private mutating func fit(documentCount: Int, document: @Sendable (Int) -> String) {
        let buckets = configuration.buckets
        let model = self
        let partialCounts = concurrentChunks(count: documentCount, chunkSize: 2048) { range -> [Int32] in
            let workspace = TfidfWorkspace(buckets: buckets)
            var documentFrequency = [Int32](repeating: 0, count: buckets)
            var lastSeen = [Int32](repeating: -1, count: buckets)
            documentFrequency.withUnsafeMutableBufferPointer { frequency in
                lastSeen.withUnsafeMutableBufferPointer { seen in
                    for index in range {
                        let stamp = Int32(truncatingIfNeeded: index - range.lowerBound)
                        model.forEachBucket(of: document(index), workspace: workspace) { bucket in
                            if seen[bucket] != stamp {
                                seen[bucket] = stamp
                                frequency[bucket] += 1
                            }
                        }
                    }
                }
            }
            return documentFrequency
        }
        var documentFrequency = [Int](repeating: 0, count: buckets)
        for partial in partialCounts {
            for bucket in 0..<buckets { documentFrequency[bucket] += Int(partial[bucket]) }
        }
        self.documentCount = documentCount
        let n = Double(documentCount)
        inverseDocumentFrequencies = documentFrequency.map { Float(log((1 + n) / (1 + Double($0))) + 1) }
    }

    // MARK: - Transforming

    /// The TF-IDF vector of `text` (`columns` columns, each family L2-normalised).
    public func transform(_ text: String) -> SparseVector {
        transform(text, workspace: TfidfWorkspace(buckets: configuration.buckets))
    }

    /// The TF-IDF vectors of `documents`, one row each, computed on all cores.
    public func transform(_ documents: [String]) -> SparseMatrix {
        let parts = concurrentChunks(count: documents.count, chunkSize: 512) { range in
            let workspace = TfidfWorkspace(buckets: configuration.buckets)
            var part = SparseMatrix(columns: columns)
            for index in range { part.appendUnchecked(transform(documents[index], workspace: workspace)) }
            return part
        }
        return SparseMatrix(stacking: parts, columns: columns)
    }

    /// For each battle, TF-IDF(response A) - TF-IDF(response B): the sparse block of the features,
    /// computed on all cores. The swapped battles' block is its `negated()`.
    public func responseDifferences(_ battles: [Battle]) -> SparseMatrix {
        let parts = concurrentChunks(count: battles.count, chunkSize: 256) { range in
            let workspace = TfidfWorkspace(buckets: configuration.buckets)
            var part = SparseMatrix(columns: columns)
            for index in range {
                let a = transform(HashedTfidf.text(ofTurns: battles[index].responseA), workspace: workspace)
                let b = transform(HashedTfidf.text(ofTurns: battles[index].responseB), workspace: workspace)
                part.appendDifference(a, b)
            }
            return part
        }
        return SparseMatrix(stacking: parts, columns: columns)
    }

    /// The document of a list of turns: the turns joined by blank lines.
    public static func text(ofTurns turns: [String]) -> String {
        turns.joined(separator: "\n\n")
    }

    /// Document `index` of a battle list: response A of battle index / 2 when even, else B.
    private static func response(_ index: Int, of battles: [Battle]) -> String {
        let battle = battles[index / 2]
        return text(ofTurns: index % 2 == 0 ? battle.responseA : battle.responseB)
    }

    private func transform(_ text: String, workspace: TfidfWorkspace) -> SparseVector {
        forEachBucket(of: text, workspace: workspace) { workspace.count($0) }
        return workspace.takeVector(
            idf: inverseDocumentFrequencies, wordBuckets: configuration.wordBuckets,
            sublinear: configuration.sublinearTermFrequency)
    }

    // MARK: - Analysis

    /// Calls `body` with the bucket of every n-gram occurrence of `text`.
    @inline(__always)
    private func forEachBucket(of text: String, workspace: TfidfWorkspace, _ body: (Int) -> Void) {
        workspace.load(text)
        let configuration = configuration
        workspace.text.withUnsafeBufferPointer { bytes in
            if configuration.wordBuckets > 0 {
                workspace.tokenize()
                let (shortest, longest) = (configuration.wordNGrams.lowerBound, configuration.wordNGrams.upperBound)
                workspace.tokenStarts.withUnsafeBufferPointer { starts in
                    workspace.tokenEnds.withUnsafeBufferPointer { ends in
                        for first in 0..<starts.count {
                            var hash = FNV1a.offsetBasis
                            for length in 1...min(longest, starts.count - first) {
                                let token = first + length - 1
                                if length > 1 { hash = FNV1a.combine(hash, 0x20) }
                                for index in starts[token]..<ends[token] { hash = FNV1a.combine(hash, bytes[index]) }
                                if length >= shortest { body(bucket(ofHash: hash, bucketCount: configuration.wordBuckets)) }
                            }
                        }
                    }
                }
            }
            if configuration.characterBuckets > 0 {
                let (shortest, longest) = (
                    configuration.characterNGrams.lowerBound, configuration.characterNGrams.upperBound
                )
                let offset = configuration.wordBuckets
                workspace.scalarStarts.withUnsafeBufferPointer { starts in
                    let scalars = starts.count - 1  // the last entry is the end of the text
                    guard scalars >= shortest else { return }
                    let isASCII = scalars == bytes.count  // then scalar i is byte i: no offsets to look up
                    for first in 0...(scalars - shortest) {
                        var hash = FNV1a.offsetBasis
                        for length in 1...min(longest, scalars - first) {
                            let scalar = first + length - 1
                            if isASCII {
                                hash = FNV1a.combine(hash, bytes[scalar])
                            } else {
                                for index in starts[scalar]..<starts[scalar + 1] { hash = FNV1a.combine(hash, bytes[index]) }
                            }
                            if length >= shortest {
                                body(offset + bucket(ofHash: hash, bucketCount: configuration.characterBuckets))
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Codable

extension HashedTfidf: Codable {
    private enum CodingKeys: String, CodingKey {
        case configuration
        case documentCount = "document_count"
        case inverseDocumentFrequencies = "idf_float32_le_base64"
    }

    /// The keys as a decoder with `.convertFromSnakeCase` (how run folders are read) presents
    /// the file's "document_count" and "idf_float32_le_base64": matched only under their file
    /// names, a saved --tfidf run could not be read back.
    private enum CamelCaseKeys: String, CodingKey {
        case documentCount
        case inverseDocumentFrequencies = "idfFloat32LeBase64"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let camelCase = try decoder.container(keyedBy: CamelCaseKeys.self)
        let configuration = try container.decode(Configuration.self, forKey: .configuration)
        do {
            try self.init(configuration: configuration)
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: .configuration, in: container, debugDescription: error.description)
        }
        documentCount = try camelCase.decodeIfPresent(Int.self, forKey: .documentCount)
            ?? container.decode(Int.self, forKey: .documentCount)
        let encoded = try camelCase.decodeIfPresent(String.self, forKey: .inverseDocumentFrequencies)
            ?? container.decode(String.self, forKey: .inverseDocumentFrequencies)
        guard let data = Data(base64Encoded: encoded), data.count % 4 == 0,
            data.isEmpty || data.count / 4 == configuration.buckets
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .inverseDocumentFrequencies, in: container,
                debugDescription: "expected the base64 of \(configuration.buckets) little-endian Float32 values")
        }
        inverseDocumentFrequencies = stride(from: 0, to: data.count, by: 4).map { offset in
            let start = data.startIndex + offset
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[start + $1]) << (8 * $1) }
            return Float(bitPattern: bits)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(configuration, forKey: .configuration)
        try container.encode(documentCount, forKey: .documentCount)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * inverseDocumentFrequencies.count)
        for value in inverseDocumentFrequencies {
            let bits = value.bitPattern
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
        }
        try container.encode(Data(bytes).base64EncodedString(), forKey: .inverseDocumentFrequencies)
    }
}
