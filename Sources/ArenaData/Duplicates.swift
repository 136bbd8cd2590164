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
        var first = FNV1a(offset: 0xcbf2_9ce4_8422_2325)
        var second = FNV1a(offset: 0x8422_2325_cbf2_9ce4)
        for (column, turns) in [battle.prompt, battle.responseA, battle.responseB].enumerated() {
            for turn in turns {
                first.add(turn)
                second.add(turn)
                first.add(byte: 0xFF)
                second.add(byte: 0xFF)
            }
            first.add(byte: 0xFE - UInt8(column))
            second.add(byte: 0xFE - UInt8(column))
        }
        let inserted = seen.insert(Digest(high: first.value, low: second.value)).inserted
        if !inserted { duplicates += 1 }
        return !inserted
    }
}

/// 64-bit FNV-1a over bytes (http://www.isthe.com/chongo/tech/comp/fnv/).
struct FNV1a {
    private(set) var value: UInt64

    init(offset: UInt64) { value = offset }

    mutating func add(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte: byte) }
    }
}
