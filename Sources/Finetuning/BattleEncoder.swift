import ArenaData
import Features
import Models
import Prediction
import Runs
import Tokenizers

/// How the pair architecture writes prompt and response into one sequence.
public enum PairFormat: String, Codable, Sendable, CaseIterable {
    /// "Prompt: {p}\n\nResponse: {r}" (S1, the KerasNLP starter).
    case template
    /// `[CLS] prompt [SEP] response [SEP]`, the longer part cut first (S2's "[SEP]" between them).
    case sep
}

/// Which turns of a multi-turn battle the text holds.
public enum TurnSelection: String, Codable, Sendable, CaseIterable {
    /// The first prompt and the first answers (the reference notebooks).
    case first
    /// Every turn; when the text is too long the prompt keeps its last turns.
    case all
}

/// How a cross sequence is written.
public enum CrossLayout: Sendable, Equatable {
    /// Encoders: `[CLS] [PROMPT] p [RESPONSE_A] a [RESPONSE_B] b [SEP]`, the markers added tokens.
    case markers
    /// Decoders (a causal model reads it and its head reads the last token): a plain-text,
    /// chat-style layout in the model's own tokens, with no new embeddings,
    /// `prefix "# Prompt\n" p "\n\n# Response A\n" a "\n\n# Response B\n" b "\n\n# Which response is better?"`,
    /// the turns of each part joined by "\n\n". `prefix` is what the tokenizer puts first (the
    /// beginning-of-sequence id for Llama and Gemma, nothing for Qwen2). The closing question is
    /// never cut, so the last token, where the head reads, is always the same.
    case chat(prefix: [Int])
}

/// Turns a battle into token ids for a ``PreferenceClassifier``.
///
/// pair (S1): two texts, "Prompt: {p}\n\nResponse: {a}" and "Prompt: {p}\n\nResponse: {b}"
/// (turns joined with "\n\n"), each framed `[CLS] ... [SEP]` and cut to `maxLength` on the right.
///
/// cross (S4): one sequence `[CLS] [PROMPT] p [RESPONSE_A] a [RESPONSE_B] b [SEP]`, turns joined
/// by `[TURN]`. The markers are added tokens (ids after the vocabulary unless the vocabulary
/// has them). When the three parts do not fit, each gets a fair share of the budget and what a
/// short part leaves goes to the others (the share scheme of the best competition solutions);
/// the prompt keeps its end (the last turns), the responses their beginning. For decoders the
/// same shares fill the chat layout (``CrossLayout/chat(prefix:)``).
public struct BattleEncoder: Sendable {
    public let tokenizer: any Tokenizer
    public let architecture: ClassifierArchitecture
    public let maxLength: Int
    public let turns: TurnSelection
    public let pairFormat: PairFormat
    /// Collapse whitespace runs to one space and drop non-ASCII characters first (S2).
    public let textCleanup: Bool
    /// When set, each side also carries S3's 14 turn-length statistics, standardised.
    public let featureScaling: FeatureScaling?
    /// Marker token ids, by ``markerTokens`` name.
    public let markers: [String: Int]
    /// How a cross sequence is written (markers for encoders, chat text for decoders).
    public let crossLayout: CrossLayout
    /// The chat layout's fixed pieces, tokenized once: the headers and the turn separator.
    let chat: ChatPieces?

    struct ChatPieces: Sendable {
        var prefix: [Int]
        var prompt: [Int]
        var responseA: [Int]
        var responseB: [Int]
        var question: [Int]
        var turnSeparator: [Int]
        var fixedCount: Int { prefix.count + prompt.count + responseA.count + responseB.count + question.count }
    }

    static let chatHeaders = (prompt: "# Prompt\n", responseA: "\n\n# Response A\n", responseB: "\n\n# Response B\n",
                              question: "\n\n# Which response is better?", turnSeparator: "\n\n")

    public static let markerTokens = ["[PROMPT]", "[RESPONSE_A]", "[RESPONSE_B]", "[TURN]"]

    public init(
        tokenizer: any Tokenizer, architecture: ClassifierArchitecture, maxLength: Int, turns: TurnSelection,
        pairFormat: PairFormat = .template, textCleanup: Bool = false, featureScaling: FeatureScaling? = nil,
        crossLayout: CrossLayout = .markers
    ) throws(TrainingError) {
        let minimum = architecture == .cross ? 8 : 3
        guard maxLength >= minimum else {
            throw TrainingError.setting(name: "maxLength", problem: "must be at least \(minimum) for a \(architecture.rawValue) model (got \(maxLength))")
        }
        self.crossLayout = crossLayout
        if architecture == .cross, case .chat(let prefix) = crossLayout {
            let headers = Self.chatHeaders
            let pieces: ChatPieces
            do {
                pieces = ChatPieces(
                    prefix: prefix, prompt: try tokenizer.tokenize(headers.prompt), responseA: try tokenizer.tokenize(headers.responseA),
                    responseB: try tokenizer.tokenize(headers.responseB), question: try tokenizer.tokenize(headers.question),
                    turnSeparator: try tokenizer.tokenize(headers.turnSeparator))
            } catch {
                throw TrainingError.setting(name: "tokenizer", problem: "cannot tokenize the chat template's headers: \(error)")
            }
            // Each of the three parts needs room for at least one token.
            guard maxLength >= pieces.fixedCount + 3 else {
                throw TrainingError.setting(
                    name: "maxLength",
                    problem: "the chat template's fixed parts (beginning, headers and closing question) take \(pieces.fixedCount) tokens, "
                        + "so a decoder's battle needs at least \(pieces.fixedCount + 3) (got \(maxLength))")
            }
            chat = pieces
        } else {
            chat = nil
        }
        self.tokenizer = tokenizer
        self.architecture = architecture
        self.maxLength = maxLength
        self.turns = turns
        self.pairFormat = pairFormat
        self.textCleanup = textCleanup
        self.featureScaling = featureScaling
        var markers: [String: Int] = [:]
        var next = tokenizer.vocabularySize
        for token in Self.markerTokens {
            if let id = tokenizer.id(of: token) {
                markers[token] = id
            } else if architecture == .cross, crossLayout == .markers {
                markers[token] = next
                next += 1
            }
        }
        self.markers = markers
    }

    /// The ids the model's embeddings must hold: the tokenizer's and the new markers.
    public var vocabularySize: Int { max(tokenizer.vocabularySize, (markers.values.max() ?? -1) + 1) }

    /// The sequences of `battle` (two for pair, one for cross), with A and B exchanged when
    /// `swapped`, and each side's standardised statistics when the encoder has a scaling.
    public func encode(_ battle: Battle, swapped: Bool = false) throws -> EncodedView {
        let prompt = cleaned(battle.prompt)
        let first = cleaned(swapped ? battle.responseB : battle.responseA)
        let second = cleaned(swapped ? battle.responseA : battle.responseB)
        let tokens: EncodedTokens
        switch architecture {
        case .pair:
            tokens = .pair(try pairSequence(prompt: prompt, response: first), try pairSequence(prompt: prompt, response: second))
        case .cross:
            if let chat {
                tokens = .cross(try chatSequence(chat, prompt: prompt, a: first, b: second))
            } else {
                tokens = .cross(try crossSequence(prompt: prompt, a: first, b: second))
            }
        }
        var features: [[Float]]?
        if let featureScaling {
            let sides = featureScaling.sides(of: battle)
            features = swapped ? [sides[1], sides[0]] : sides
        }
        return EncodedView(tokens: tokens, features: features)
    }

    /// S2's clean-up: whitespace runs become one space, non-ASCII characters are dropped.
    public static func cleanUp(_ text: String) -> String {
        // Byte by byte: every byte of a non-ASCII scalar is 0x80 or above, and is dropped.
        var text = text
        let bytes = text.withUTF8 { input in
            var output: [UInt8] = []
            output.reserveCapacity(input.count)
            var pendingSpace = false
            for byte in input where byte < 0x80 {
                if asciiWhitespace[Int(byte)] {
                    pendingSpace = !output.isEmpty
                    continue
                }
                if pendingSpace { output.append(0x20); pendingSpace = false }
                output.append(byte)
            }
            return output
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let asciiWhitespace: [Bool] = (0..<128).map { Unicode.Scalar(UInt8($0)).properties.isWhitespace }

    func cleaned(_ turns: [String]) -> [String] {
        textCleanup ? turns.map(Self.cleanUp) : turns
    }

    func selected(_ turns: [String]) -> [String] {
        self.turns == .first ? Array(turns.prefix(1)) : turns
    }

    func pairSequence(prompt: [String], response: [String]) throws -> [Int] {
        let prompts = selected(prompt)
        let responses = selected(response)
        switch pairFormat {
        case .template:
            var pieces: [String] = []
            for turn in 0..<max(prompts.count, responses.count) {
                let p = turn < prompts.count ? prompts[turn] : ""
                let r = turn < responses.count ? responses[turn] : ""
                pieces.append("Prompt: \(p)\n\nResponse: \(r)")
            }
            return try tokenizer.encode(pieces.joined(separator: "\n\n"), maxLength: maxLength).ids
        case .sep:
            // Tokenizer.encode reads only as much of long texts as the truncation keeps.
            return try tokenizer.encode(
                prompts.joined(separator: "\n\n"), pair: responses.joined(separator: "\n\n"), maxLength: maxLength,
                strategy: .longestFirst
            ).ids
        }
    }

    /// The ids of the turns joined by the `[TURN]` marker, cut to `limit` ids: the first ones
    /// (`keepingEnd` false) or the last ones. Only as much text is tokenised as the kept ids
    /// need (``Tokenizer/leadingIDs(of:limit:)``), so a 50 MB response costs what its first
    /// few hundred tokens cost; the ids equal the full sequence's prefix or suffix.
    func joinedTurns(_ turns: [String], limit: Int, keepingEnd: Bool) throws -> [Int] {
        try joinedTurns(turns, separator: markers["[TURN]"].map { [$0] } ?? [], limit: limit, keepingEnd: keepingEnd)
    }

    /// ``joinedTurns(_:limit:keepingEnd:)`` with the turns joined by `separator` (cut like the
    /// rest when the limit falls inside it).
    func joinedTurns(_ turns: [String], separator: [Int], limit: Int, keepingEnd: Bool) throws -> [Int] {
        let texts = selected(turns)
        var parts: [[Int]] = []
        var count = 0
        for (position, index) in (keepingEnd ? Array(texts.indices.reversed()) : Array(texts.indices)).enumerated() {
            if position > 0, !separator.isEmpty {
                guard count < limit else { break }
                parts.append(separator)
                count += separator.count
            }
            guard count < limit else { break }
            let ids = keepingEnd
                ? try tokenizer.trailingIDs(of: texts[index], limit: limit - count)
                : try tokenizer.leadingIDs(of: texts[index], limit: limit - count)
            parts.append(ids)
            count += ids.count
        }
        let joined = Array((keepingEnd ? parts.reversed() : parts).joined())
        // A separator of several ids may end past the limit.
        return joined.count <= limit ? joined : Array(keepingEnd ? joined.suffix(limit) : joined.prefix(limit))
    }

    func crossSequence(prompt: [String], a: [String], b: [String]) throws -> [Int] {
        let specials = tokenizer.specialTokens
        // Each part is cut to the whole budget first: the shares depend on a length only up to
        // the budget (a part at least that long gets what the others leave, whatever its
        // length), so the cut parts share the budget as the whole ones would.
        let budget = max(maxLength - 5, 0)
        let p = try joinedTurns(prompt, limit: budget, keepingEnd: true)
        let ra = try joinedTurns(a, limit: budget, keepingEnd: false)
        let rb = try joinedTurns(b, limit: budget, keepingEnd: false)
        let shares = Self.shares(lengths: [p.count, ra.count, rb.count], budget: budget)
        var ids = [specials.classification]
        ids.append(markers["[PROMPT]"] ?? specials.separator)
        ids += p.suffix(shares[0])
        ids.append(markers["[RESPONSE_A]"] ?? specials.separator)
        ids += ra.prefix(shares[1])
        ids.append(markers["[RESPONSE_B]"] ?? specials.separator)
        ids += rb.prefix(shares[2])
        ids.append(specials.separator)
        return ids
    }

    /// The chat layout (``CrossLayout/chat(prefix:)``): the fixed pieces whole, the three parts
    /// sharing what is left as in ``crossSequence(prompt:a:b:)``.
    func chatSequence(_ chat: ChatPieces, prompt: [String], a: [String], b: [String]) throws -> [Int] {
        let budget = max(maxLength - chat.fixedCount, 0)
        let p = try joinedTurns(prompt, separator: chat.turnSeparator, limit: budget, keepingEnd: true)
        let ra = try joinedTurns(a, separator: chat.turnSeparator, limit: budget, keepingEnd: false)
        let rb = try joinedTurns(b, separator: chat.turnSeparator, limit: budget, keepingEnd: false)
        let shares = Self.shares(lengths: [p.count, ra.count, rb.count], budget: budget)
        var ids = chat.prefix + chat.prompt
        ids += p.suffix(shares[0])
        ids += chat.responseA
        ids += ra.prefix(shares[1])
        ids += chat.responseB
        ids += rb.prefix(shares[2])
        ids += chat.question
        return ids
    }

    /// Water-filling: each part gets at most its length; the budget is split evenly among the
    /// parts that still want more, until it is spent or every part fits.
    public static func shares(lengths: [Int], budget: Int) -> [Int] {
        var shares = [Int](repeating: 0, count: lengths.count)
        var left = max(budget, 0)
        var open = lengths.indices.filter { lengths[$0] > 0 }
        while left > 0, !open.isEmpty {
            let each = max(left / open.count, 1)
            for index in open where left > 0 {
                let add = min(each, lengths[index] - shares[index], left)
                shares[index] += add
                left -= add
            }
            open = open.filter { shares[$0] < lengths[$0] }
        }
        return shares
    }
}
