import ArenaData
import Foundation

/// Scratch space for analysing documents one after another on one thread. The per-bucket
/// state lives in manually allocated buffers held by `let`s, so that the per-n-gram updates pay
/// for no array uniqueness or exclusivity checks.
final class TfidfWorkspace {
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
