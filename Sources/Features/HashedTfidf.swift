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

/// Scratch space for analysing documents one after another on one thread. The per-bucket
/// state lives in manually allocated buffers held by `let`s, so that the per-n-gram updates pay
/// for no array uniqueness or exclusivity checks.
private final class TfidfWorkspace {
    /// The normalised text: lower-cased, whitespace runs collapsed.
    var text: [UInt8] = []
    /// The byte offset of each scalar of `text`, then `text.count`.
    var scalarStarts: [Int] = []
    var tokenStarts: [Int] = []
    var tokenEnds: [Int] = []
    /// Occurrences per bucket of the current document; all 0 between documents.
    private let counts: UnsafeMutableBufferPointer<Int32>
    /// One bit per bucket, set where `counts` is nonzero, so that the entries come out in
    /// bucket order without sorting.
    private let occupied: UnsafeMutableBufferPointer<UInt64>
    /// 1 + ln(count) for small counts.
    private let sublinearTable: [Float] = (0..<64).map { $0 == 0 ? 0 : Float(1 + log(Double($0))) }

    init(buckets: Int) {
        counts = .allocate(capacity: buckets)
        counts.initialize(repeating: 0)
        occupied = .allocate(capacity: (buckets + 63) / 64)
        occupied.initialize(repeating: 0)
    }

    deinit {
        counts.deallocate()
        occupied.deallocate()
    }

    /// Normalises `document` into `text` and `scalarStarts`.
    func load(_ document: String) {
        // The arrays go in as `inout` parameters: one exclusivity check per document instead of
        // one per appended byte, as appending to a class property would cost.
        TfidfWorkspace.normalize(document, into: &text, scalarStarts: &scalarStarts)
    }

    private static func normalize(_ document: String, into text: inout [UInt8], scalarStarts: inout [Int]) {
        let lowered = document.utf8.allSatisfy { $0 < 0x80 } ? document : document.lowercased()
        text.removeAll(keepingCapacity: true)
        scalarStarts.removeAll(keepingCapacity: true)
        withUTF8Bytes(lowered) { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if isASCIIWhitespace(byte) {
                    var end = index + 1
                    while end < bytes.count && isASCIIWhitespace(bytes[end]) { end += 1 }
                    scalarStarts.append(text.count)
                    text.append(end - index > 1 ? 0x20 : byte)
                    index = end
                    continue
                }
                if byte & 0xC0 != 0x80 { scalarStarts.append(text.count) }
                text.append(asciiLowercased(byte))
                index += 1
            }
        }
        scalarStarts.append(text.count)
    }

    /// Finds the word tokens of `text`.
    func tokenize() {
        TfidfWorkspace.tokenize(text, starts: &tokenStarts, ends: &tokenEnds)
    }

    private static func tokenize(_ text: [UInt8], starts: inout [Int], ends: inout [Int]) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        text.withUnsafeBufferPointer { bytes in
            WordTokenizer.forEachToken(in: bytes) { start, end in
                starts.append(start)
                ends.append(end)
            }
        }
    }

    /// Counts one occurrence of `bucket` in the current document.
    @inline(__always)
    func count(_ bucket: Int) {
        if counts[bucket] == 0 { occupied[bucket &>> 6] |= 1 &<< UInt64(bucket & 63) }
        counts[bucket] &+= 1
    }

    /// The TF-IDF vector of the counted document; clears the counts.
    func takeVector(idf: [Float], wordBuckets: Int, sublinear: Bool) -> SparseVector {
        let stored = occupied.reduce(0) { $0 + $1.nonzeroBitCount }
        var wordEntries = 0
        var wordSquares = 0.0
        var characterSquares = 0.0
        var values = [Float](unsafeUninitializedCapacity: stored) { values, valueCount in
            valueCount = stored
            var position = 0
            for wordIndex in occupied.indices where occupied[wordIndex] != 0 {
                var bits = occupied[wordIndex]
                while bits != 0 {
                    let bucket = wordIndex &<< 6 | bits.trailingZeroBitCount
                    bits &= bits &- 1
                    let occurrences = Int(counts[bucket])
                    var value: Float
                    if sublinear {
                        value = occurrences < sublinearTable.count
                            ? sublinearTable[occurrences] : Float(1 + log(Double(occurrences)))
                    } else {
                        value = Float(occurrences)
                    }
                    if !idf.isEmpty { value *= idf[bucket] }
                    values[position] = value
                    position += 1
                    if bucket < wordBuckets {
                        wordSquares += Double(value) * Double(value)
                        wordEntries += 1
                    } else {
                        characterSquares += Double(value) * Double(value)
                    }
                }
            }
        }
        // The same walk again for the indices, clearing the state for the next document.
        let indices = [Int32](unsafeUninitializedCapacity: stored) { indices, indexCount in
            indexCount = stored
            var position = 0
            for wordIndex in occupied.indices where occupied[wordIndex] != 0 {
                var bits = occupied[wordIndex]
                occupied[wordIndex] = 0
                while bits != 0 {
                    let bucket = wordIndex &<< 6 | bits.trailingZeroBitCount
                    bits &= bits &- 1
                    counts[bucket] = 0
                    indices[position] = Int32(truncatingIfNeeded: bucket)
                    position += 1
                }
            }
        }
        let wordScale = wordSquares > 0 ? Float(1 / wordSquares.squareRoot()) : 0
        let characterScale = characterSquares > 0 ? Float(1 / characterSquares.squareRoot()) : 0
        values.withUnsafeMutableBufferPointer { values in
            for position in values.indices {
                values[position] *= position < wordEntries ? wordScale : characterScale
            }
        }
        return SparseVector(unchecked: indices, values: values)
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
