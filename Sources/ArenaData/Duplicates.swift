/// Finds rows with the same prompt and the same two responses.
public enum Duplicates {
    /// A key equal for two battles exactly when prompt, response A and response B are equal.
    public struct Key: Hashable, Sendable {
        let prompt: [String]
        let responseA: [String]
        let responseB: [String]
    }

    public static func key(_ battle: Battle) -> Key {
        Key(prompt: battle.prompt, responseA: battle.responseA, responseB: battle.responseB)
    }

    /// Groups of row indices that share a key, each group in row order, groups by first row.
    public static func groups(_ battles: [Battle]) -> [[Int]] {
        var firstIndex: [Key: Int] = [:]
        var groups: [[Int]] = []
        var groupOf: [Int: Int] = [:]
        for (row, battle) in battles.enumerated() {
            let key = key(battle)
            if let first = firstIndex[key] {
                if let group = groupOf[first] {
                    groups[group].append(row)
                } else {
                    groupOf[first] = groups.count
                    groups.append([first, row])
                }
            } else {
                firstIndex[key] = row
            }
        }
        return groups
    }

    /// Indices of the rows to keep when duplicates are dropped: the first of each group.
    public static func firstOccurrences(_ battles: [Battle]) -> [Int] {
        var seen = Set<Key>()
        var kept: [Int] = []
        for (row, battle) in battles.enumerated() where seen.insert(key(battle)).inserted {
            kept.append(row)
        }
        return kept
    }
}

/// A streaming duplicate counter that keeps a 128-bit digest per row instead of the text, so
/// that a large file can be checked without holding it.
public struct DuplicateCounter: Sendable {
    private var seen = Set<Digest>()
    /// Rows equal to an earlier row.
    public private(set) var duplicates = 0

    struct Digest: Hashable, Sendable {
        var high: UInt64
        var low: UInt64
    }

    public init() {}

    /// Counts `battle`; returns true when an equal row came before.
    @discardableResult
    public mutating func add(_ battle: Battle) -> Bool {
        // Two FNV-1a streams from different bases; 0xFF ends a turn and 0xFE - column a column
        // (neither byte occurs in UTF-8), so turn and column boundaries count.
        var first = FNV1a.offsetBasis
        var second: UInt64 = 0x8422_2325_CBF2_9CE4
        func add(_ byte: UInt8) {
            first = FNV1a.combine(first, byte)
            second = FNV1a.combine(second, byte)
        }
        for (column, turns) in [battle.prompt, battle.responseA, battle.responseB].enumerated() {
            for turn in turns {
                for byte in turn.utf8 { add(byte) }
                add(0xFF)
            }
            add(0xFE - UInt8(column))
        }
        let inserted = seen.insert(Digest(high: first, low: second)).inserted
        if !inserted { duplicates += 1 }
        return !inserted
    }
}

/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/), fed one byte at a time so that
/// the hash of a prefix can be extended. The one fixed hash of the project: duplicate digests,
/// run fingerprints and the hashed n-gram features all use it.
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    @inline(__always)
    public static func combine(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* prime
    }

    /// The hash of a whole byte sequence, starting from `basis`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes, basis: UInt64 = offsetBasis) -> UInt64
    where Bytes.Element == UInt8 {
        bytes.reduce(basis, combine)
    }
}
