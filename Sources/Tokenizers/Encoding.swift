/// Model inputs for one text or a pair: ids with special tokens, token type ids, attention mask.
public struct Encoding: Equatable, Sendable {
    public var ids: [Int]
    public var typeIDs: [Int]
    public var attentionMask: [Int]

    public init(ids: [Int], typeIDs: [Int], attentionMask: [Int]) {
        self.ids = ids
        self.typeIDs = typeIDs
        self.attentionMask = attentionMask
    }

    public var count: Int { ids.count }
}

/// Which sequence loses tokens when a pair is too long (Hugging Face's TruncationStrategy).
public enum TruncationStrategy: String, Sendable, CaseIterable {
    /// Shorten the longer sequence first (both end up near half when both are long).
    case longestFirst = "longest_first"
    case onlyFirst = "only_first"
    case onlySecond = "only_second"
}

/// Which end of a sequence is cut (Hugging Face's `truncation_side`).
public enum TruncationSide: String, Sendable, CaseIterable {
    case right
    case left
}

/// The special tokens a model frames its inputs with.
public struct SpecialTokenIDs: Equatable, Sendable {
    public var classification: Int
    public var separator: Int
    public var padding: Int
    public var unknown: Int

    public init(classification: Int, separator: Int, padding: Int, unknown: Int) {
        self.classification = classification
        self.separator = separator
        self.padding = padding
        self.unknown = unknown
    }
}

/// A tokenizer: text to ids without special tokens; framing, truncation and padding are shared.
public protocol Tokenizer: Sendable {
    /// Ids of `text` without special tokens (added tokens such as "[SEP]" in the text are kept whole).
    func tokenize(_ text: String) throws -> [Int]
    var specialTokens: SpecialTokenIDs { get }
    /// The number of ids (vocabulary plus added tokens).
    var vocabularySize: Int { get }
    /// The id of a token, nil when absent.
    func id(of token: String) -> Int?
    /// `tokenize(text).prefix(limit)`, reading only as much of a long text as the ids need
    /// where the tokenizer can prove the result equal (the default tokenises the whole text).
    func leadingIDs(of text: String, limit: Int) throws -> [Int]
    /// `tokenize(text).suffix(limit)`, reading only as much of a long text as the ids need
    /// where the tokenizer can prove the result equal (the default tokenises the whole text).
    func trailingIDs(of text: String, limit: Int) throws -> [Int]
    /// The ids a decoder's input starts with: the beginning-of-sequence id where the tokenizer
    /// adds one (Llama, Gemma), nothing otherwise (Qwen2, and encoders, which frame with
    /// ``SpecialTokenIDs`` instead).
    var sequencePrefix: [Int] { get }
    /// A decoder LLM's bos / eos / pad and whether Hugging Face adds bos / eos (see
    /// ``DecoderSpecialTokens``); nil for an encoder's tokenizer (the default).
    var decoderSpecialTokens: DecoderSpecialTokens? { get }
}

extension Tokenizer {
    /// bos when ``decoderSpecialTokens`` says Hugging Face adds it, else nothing.
    public var sequencePrefix: [Int] {
        guard let tokens = decoderSpecialTokens, tokens.addBOS, let bos = tokens.bos else { return [] }
        return [bos]
    }

    public var decoderSpecialTokens: DecoderSpecialTokens? { nil }

    public func leadingIDs(of text: String, limit: Int) throws -> [Int] {
        Array(try tokenize(text).prefix(Swift.max(limit, 0)))
    }

    public func trailingIDs(of text: String, limit: Int) throws -> [Int] {
        Array(try tokenize(text).suffix(Swift.max(limit, 0)))
    }
}

extension Tokenizer {
    /// `[CLS] first [SEP]` or `[CLS] first [SEP] second [SEP]`, cut to `maxLength` ids in all
    /// (special tokens included) the way Hugging Face's tokenizers cut: `strategy` picks which
    /// sequence loses tokens and `side` which end.
    ///
    /// Only as much of a long text is tokenised as the kept ids need (``leadingIDs(of:limit:)``
    /// on the right, ``trailingIDs(of:limit:)`` on the left), with ids equal to those of the
    /// whole texts: truncation needs a sequence's length only up to the budget plus one, except
    /// for `longestFirst` with an odd budget when both sequences are longer than it (the longer
    /// one keeps the extra token), and for `onlyFirst` / `onlySecond` pairs, whose refusals
    /// name the exact length; those tokenise whole texts.
    public func encode(_ first: String, pair second: String? = nil, maxLength: Int? = nil,
                       strategy: TruncationStrategy = .longestFirst, side: TruncationSide = .right) throws -> Encoding {
        func whole() throws -> Encoding {
            try frame(try tokenize(first), second.map { try tokenize($0) }, maxLength: maxLength, strategy: strategy, side: side)
        }
        guard let maxLength, maxLength >= (second == nil ? 2 : 3) else { return try whole() }
        let budget = maxLength - (second == nil ? 2 : 3)
        func capped(_ text: String) throws -> [Int] {
            side == .right ? try leadingIDs(of: text, limit: budget + 1) : try trailingIDs(of: text, limit: budget + 1)
        }
        switch (second, strategy) {
        case (nil, .longestFirst), (nil, .onlyFirst):
            return try frame(try capped(first), nil, maxLength: maxLength, strategy: strategy, side: side)
        case (let second?, .longestFirst):
            let a = try capped(first)
            let b = try capped(second)
            if budget % 2 == 1, a.count > budget, b.count > budget { return try whole() }
            return try frame(a, b, maxLength: maxLength, strategy: strategy, side: side)
        default:
            return try whole()
        }
    }

    /// Frames ids already tokenized (see ``encode(_:pair:maxLength:strategy:side:)``).
    public func frame(_ first: [Int], _ second: [Int]?, maxLength: Int?, strategy: TruncationStrategy = .longestFirst,
                      side: TruncationSide = .right) throws -> Encoding {
        var a = first
        var b = second
        if let maxLength {
            let specials = b == nil ? 2 : 3
            guard maxLength >= specials else {
                throw TokenizerError.invalidArgument("maxLength \(maxLength) leaves no room for the \(specials) special tokens")
            }
            (a, b) = try Self.truncate(a, b, to: maxLength - specials, strategy: strategy, side: side)
        }
        let tokens = specialTokens
        var ids = [tokens.classification] + a + [tokens.separator]
        var types = [Int](repeating: 0, count: ids.count)
        if let b {
            ids += b + [tokens.separator]
            types += [Int](repeating: 1, count: b.count + 1)
        }
        return Encoding(ids: ids, typeIDs: types, attentionMask: [Int](repeating: 1, count: ids.count))
    }

    /// Hugging Face tokenizers' truncation (tokenizers/src/utils/truncation.rs, v0.19.1).
    static func truncate(_ first: [Int], _ second: [Int]?, to budget: Int, strategy: TruncationStrategy,
                         side: TruncationSide) throws -> ([Int], [Int]?) {
        func cut(_ ids: [Int], _ length: Int) -> [Int] {
            guard ids.count > length else { return ids }
            return side == .right ? Array(ids.prefix(length)) : Array(ids.suffix(length))
        }
        guard let second else {
            if strategy == .onlySecond, first.count > budget {
                throw TokenizerError.invalidArgument("only_second truncation asked for a single sequence of \(first.count) tokens longer than \(budget)")
            }
            return (cut(first, budget), nil)
        }
        let total = first.count + second.count
        guard total > budget else { return (first, second) }
        switch strategy {
        case .longestFirst:
            var n1 = first.count
            var n2 = second.count
            let swapped = n1 > n2
            if swapped { swap(&n1, &n2) }
            n2 = n1 > budget ? n1 : Swift.max(n1, budget - n1)
            if n1 + n2 > budget {
                n1 = budget / 2
                n2 = n1 + budget % 2
            }
            if swapped { swap(&n1, &n2) }
            return (cut(first, n1), cut(second, n2))
        case .onlyFirst:
            let keep = budget - second.count
            guard keep >= 0 else {
                throw TokenizerError.invalidArgument("only_first truncation cannot fit: the second sequence alone has \(second.count) tokens, the budget is \(budget)")
            }
            return (cut(first, keep), second)
        case .onlySecond:
            let keep = budget - first.count
            guard keep >= 0 else {
                throw TokenizerError.invalidArgument("only_second truncation cannot fit: the first sequence alone has \(first.count) tokens, the budget is \(budget)")
            }
            return (first, cut(second, keep))
        }
    }

    /// Encodings padded with the padding id to the longest row (mask 0 and type 0 on padding).
    public func pad(_ encodings: [Encoding], side: TruncationSide = .right) -> [Encoding] {
        let longest = encodings.map(\.count).max() ?? 0
        return encodings.map { encoding in
            let missing = longest - encoding.count
            guard missing > 0 else { return encoding }
            let ids = [Int](repeating: specialTokens.padding, count: missing)
            let zeros = [Int](repeating: 0, count: missing)
            switch side {
            case .right:
                return Encoding(ids: encoding.ids + ids, typeIDs: encoding.typeIDs + zeros, attentionMask: encoding.attentionMask + zeros)
            case .left:
                return Encoding(ids: ids + encoding.ids, typeIDs: zeros + encoding.typeIDs, attentionMask: zeros + encoding.attentionMask)
            }
        }
    }
}

/// Splits the UTF-8 text `bytes` around occurrences of `tokens` (longest first, left to
/// right): the added-token extraction that runs before normalisation. Each part is a byte range
/// of plain text (id nil) or of a token (its id). Matching bytes at a scalar boundary is
/// matching scalars; a token's first byte starts a scalar, so it never matches inside one.
func splitOnAddedTokens(_ bytes: UnsafeBufferPointer<UInt8>, tokens: [(key: String, value: Int)],
                        steps: inout Int) -> [(range: Range<Int>, id: Int?)] {
    let candidates = tokens.filter { !$0.key.isEmpty }.sorted { $0.key.count > $1.key.count }
        .map { (bytes: Array($0.key.utf8), id: $0.value) }
    guard !candidates.isEmpty else { return [(0..<bytes.count, nil)] }
    var startsToken = [Bool](repeating: false, count: 256)
    for candidate in candidates { startsToken[Int(candidate.bytes[0])] = true }
    var parts: [(range: Range<Int>, id: Int?)] = []
    var plainStart = 0
    var index = 0
    while index < bytes.count {
        steps += 1
        if startsToken[Int(bytes[index])],
           let token = candidates.first(where: { matches($0.bytes, bytes, at: index) }) {
            if plainStart < index { parts.append((plainStart..<index, nil)) }
            let end = index + token.bytes.count
            parts.append((index..<end, token.id))
            steps += token.bytes.count
            index = end
            plainStart = end
        } else {
            index += 1
        }
    }
    if plainStart < bytes.count { parts.append((plainStart..<bytes.count, nil)) }
    return parts
}

/// Whether `token` occurs in `bytes` at `offset`.
@inline(__always)
func matches(_ token: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
    guard offset >= 0, offset + token.count <= bytes.count else { return false }
    for index in token.indices where bytes[offset + index] != token[index] { return false }
    return true
}
