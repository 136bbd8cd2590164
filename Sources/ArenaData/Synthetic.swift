// Synthetic Chatbot Arena battles in the Kaggle train.csv schema, for size and speed tests (the
// full 57,477-row file is not on these machines) and for tests that need labels with a known,
// learnable signal.
//
// Every random choice comes from `SeededRandom`, and every number is made with +, -, *, / and
// square roots only (no log, exp or cos, whose last bit may differ between C libraries), so a
// seed gives the same bytes on every platform.

import FileIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One generated battle, with what the Kaggle file needs beyond `Battle`.
public struct SyntheticRow: Sendable, Hashable {
    /// The battle as `BattleReader` reads it back from the written file: a null turn is an empty
    /// string and is counted in `battle.notes.nullTurns`; `winner` is always set.
    public var battle: Battle
    /// For each text column, in `KaggleColumn.texts` order (prompt, response_a, response_b), the
    /// indices of the turns written as JSON `null`.
    public var nullTurnIndices: [[Int]]
    /// The noise-free part of the hidden preference score of side A (see
    /// `SyntheticBattleGenerator`); the label compares the two sides' scores plus noise.
    public var hiddenQualityA: Double
    /// The noise-free part of the hidden preference score of side B.
    public var hiddenQualityB: Double

    /// The turns of text column `column` (0 prompt, 1 response_a, 2 response_b), nil where the
    /// file has JSON `null`, as `JSONWriter.turns` takes them.
    public func turns(column: Int) -> [String?] {
        let texts: [String]
        switch column {
        case 0: texts = battle.prompt
        case 1: texts = battle.responseA
        default: texts = battle.responseB
        }
        let nulls = column < nullTurnIndices.count ? nullTurnIndices[column] : []
        var result: [String?] = texts
        for index in nulls where index < result.count { result[index] = nil }
        return result
    }

    /// Appends this row as one Kaggle train.csv record (LF-terminated), quoted as pandas quotes.
    public func appendCSVRecord(to output: inout String) {
        output.append(battle.id)
        output.append(",")
        CSVWriter.appendField(battle.modelA ?? "", to: &output)
        output.append(",")
        CSVWriter.appendField(battle.modelB ?? "", to: &output)
        for column in KaggleColumn.texts.indices {
            output.append(",")
            CSVWriter.appendField(JSONWriter.turns(turns(column: column)), to: &output)
        }
        for winner in Winner.allCases {
            output.append(winner == battle.winner ? ",1" : ",0")
        }
        output.append("\n")
    }
}

/// Makes synthetic Chatbot Arena battles that look like the Kaggle training data in shape and size,
/// labelled by a hidden rule that a model can learn.
///
/// Shape (tuned on the real 1,000-row sample; seed 0, 57,477 rows): 87% single-turn
/// conversations with a geometric tail of multi-turn ones (at most 36 turns); prompt turns of
/// median ~70 characters and mean ~300 with a long tail (pasted documents, up to 30,000);
/// response turns of median ~850 characters and mean ~1,000, up to 20,000; about 3.1 KB per CSV
/// row, so 57,477 rows make about 180 MB, as the real file does. Text is English-like word salad
/// in sentences and paragraphs with markdown (lists, headers, bold, code blocks), refusals ("I'm
/// sorry, but I can't ..."), accented words, CJK and Cyrillic sentences and emoji (some above
/// U+FFFF); about 1.2% of response turns are JSON `null`, a few are empty, and about 0.6% of
/// battles have identical answers. Model names come from 22 real arena models, drawn by their
/// popularity in the sample, each with a hidden skill, a verbosity and a taste for markdown.
///
/// The hidden rule. Each side gets a quality
///
///     quality = skill(model)                                   (-0.55 ... 1.0)
///             + 0.5 * sqrt(min(characters, 12,000) / 1,000)    (all its turns, in UTF-8 bytes)
///             + 0.04 * min(markdown items, 12)                  (list items, headers, bold leads, code blocks)
///             - 1.0 * refused turns / turns
///             - 1.5 * null-or-empty turns / turns
///
/// Identical answers get equal qualities and are a tie (as all seven in the real sample are). With
/// d = quality(A) - quality(B) + 0.015 (a slight preference for the first answer shown) + noise,
/// noise ~ 1.5 * N(0, 1) (approximated by the Irwin-Hall sum of four uniforms), the label is a
/// tie when |d| < 0.71, else A when d > 0 and B when d < 0. That gives about 35% A, 34% B and
/// 31% ties, like the real data; the longer answer wins about 65% of decisive votes (the real
/// sample: 63%), and a model that knows the rule would score a log loss of about 0.97 (the
/// class prior: 1.097).
///
/// Each row depends only on the seed and its index, so rows can be made in any order.
public struct SyntheticBattleGenerator: Sendable {
    /// The seed every row is derived from.
    public let seed: UInt64

    /// The header of the Kaggle train.csv file.
    public static let kaggleHeader: [String] =
        [KaggleColumn.id, KaggleColumn.modelA, KaggleColumn.modelB] + KaggleColumn.texts + KaggleColumn.winners

    /// The most rows one file can have: ids are unique 32-bit integers.
    public static let maximumRows = 1 << 32

    public init(seed: UInt64) { self.seed = seed }

    /// The battle at `index` (0-based). Its id is a 32-bit integer unique among indices below
    /// `maximumRows`; everything else is drawn from a generator seeded by the seed and the index.
    public func row(index: Int) -> SyntheticRow {
        let indexBits = UInt64(truncatingIfNeeded: index)
        var mixer = SeededRandom(seed: seed ^ (indexBits &* 0xD1B5_4A32_D192_ED03))
        var composer = BattleComposer(random: SeededRandom(seed: mixer.next()))
        // An odd multiplier is a bijection modulo 2^32, so ids do not repeat.
        var offsetSource = SeededRandom(seed: seed)
        let id = (indexBits &* 2_654_435_761 &+ offsetSource.next()) & 0xFFFF_FFFF
        return composer.makeRow(id: String(id))
    }

    /// Writes `rows` battles to `path` in the Kaggle train.csv schema. Rows are made and written
    /// a thousand at a time into a temporary file (``AtomicFileWriter``) renamed over `path` at the end, so
    /// memory stays small and no reader sees a half-written file. `progress` is called with the
    /// number of rows written after each batch. Returns the size of the file in bytes.
    @discardableResult
    public static func writeKaggleCSV(
        rows: Int, seed: UInt64, to path: String, progress: ((Int) -> Void)? = nil
    ) throws(DataError) -> Int {
        guard rows >= 1 else {
            throw DataError.invalidArgument("the number of rows must be at least 1 (got \(rows))")
        }
        guard rows <= maximumRows else {
            throw DataError.invalidArgument("the number of rows must be at most \(maximumRows) (got \(rows))")
        }
        let generator = SyntheticBattleGenerator(seed: seed)
        // Through a symbolic link to its target; only a regular file or a new path.
        let target = try OutputPath.resolve(path)
        let batchSize = 1_000
        var batch = ""
        batch.reserveCapacity(batchSize * 4_096)
        var writer = CSVWriter()
        writer.write(kaggleHeader)
        batch.append(writer.take())
        var written = 0
        do {
            try AtomicFileWriter.write(to: target) { append in
                var index = 0
                while index < rows {
                    let end = min(index + batchSize, rows)
                    while index < end {
                        generator.row(index: index).appendCSVRecord(to: &batch)
                        index += 1
                    }
                    try batch.withUTF8 { try append(UnsafeRawBufferPointer($0)) }
                    written += batch.utf8.count
                    batch.removeAll(keepingCapacity: true)
                    progress?(index)
                }
            }
        } catch let error as FileWriteError {
            throw DataError.writeFailed(path: error.path, reason: error.reason)
        } catch {
            throw DataError.writeFailed(path: target, reason: "\(error)")
        }
        return written
    }
}

// MARK: - The hidden rule

/// The label rule documented on `SyntheticBattleGenerator`.
private enum PreferenceRule {
    static let lengthWeight = 0.5
    static let lengthCap = 12_000
    static let markdownWeight = 0.04
    static let markdownCap = 12
    static let refusalPenalty = 1.0
    static let failurePenalty = 1.5
    static let positionBias = 0.015
    static let noiseScale = 1.5
    static let tieMargin = 0.71

    static func quality(_ side: SideFeatures, skill: Double) -> Double {
        let turns = Double(max(side.turns, 1))
        return skill
            + lengthWeight * (Double(min(side.characters, lengthCap)) / 1_000).squareRoot()
            + markdownWeight * Double(min(side.markdownItems, markdownCap))
            - refusalPenalty * Double(side.refusedTurns) / turns
            - failurePenalty * Double(side.failedTurns) / turns
    }

    static func label(qualityA: Double, qualityB: Double, random: inout SeededRandom) -> Winner {
        let uniforms = random.nextUnit() + random.nextUnit() + random.nextUnit() + random.nextUnit()
        let noise = noiseScale * (uniforms - 2) * 3.0.squareRoot()
        let difference = qualityA - qualityB + positionBias + noise
        if abs(difference) < tieMargin { return .tie }
        return difference > 0 ? .modelA : .modelB
    }
}

/// What the rule sees of one side's answers.
private struct SideFeatures {
    var turns = 0
    var characters = 0
    var markdownItems = 0
    var refusedTurns = 0
    var failedTurns = 0
}

// MARK: - Models

private struct ModelProfile: Sendable {
    var name: String
    /// How often the model meets arena users (its count among the real sample's model_a).
    var popularity: Int
    /// Hidden quality not visible in the text features.
    var skill: Double
    /// Multiplies the length of its answers.
    var verbosity: Double
    /// How much markdown structure it writes, 0...1.
    var markdown: Double
    /// The chance it refuses an ordinary prompt.
    var refusalRate: Double

    init(_ name: String, _ popularity: Int, skill: Double, verbosity: Double, markdown: Double, refusalRate: Double) {
        self.name = name
        self.popularity = popularity
        self.skill = skill
        self.verbosity = verbosity
        self.markdown = markdown
        self.refusalRate = refusalRate
    }

    static let all: [ModelProfile] = [
        ModelProfile("gpt-4-1106-preview", 79, skill: 1.00, verbosity: 1.30, markdown: 0.85, refusalRate: 0.01),
        ModelProfile("gpt-3.5-turbo-0613", 65, skill: 0.40, verbosity: 0.90, markdown: 0.45, refusalRate: 0.02),
        ModelProfile("claude-2.1", 59, skill: 0.45, verbosity: 1.00, markdown: 0.50, refusalRate: 0.07),
        ModelProfile("gpt-4-0613", 49, skill: 0.70, verbosity: 0.85, markdown: 0.55, refusalRate: 0.02),
        ModelProfile("claude-1", 40, skill: 0.60, verbosity: 1.05, markdown: 0.50, refusalRate: 0.03),
        ModelProfile("claude-instant-1", 39, skill: 0.45, verbosity: 0.95, markdown: 0.45, refusalRate: 0.03),
        ModelProfile("gpt-4-0314", 34, skill: 0.80, verbosity: 1.00, markdown: 0.55, refusalRate: 0.02),
        ModelProfile("vicuna-33b", 32, skill: 0.30, verbosity: 1.05, markdown: 0.45, refusalRate: 0.02),
        ModelProfile("vicuna-13b", 31, skill: 0.10, verbosity: 0.95, markdown: 0.40, refusalRate: 0.02),
        ModelProfile("llama-2-70b-chat", 30, skill: 0.30, verbosity: 1.25, markdown: 0.60, refusalRate: 0.08),
        ModelProfile("mixtral-8x7b-instruct-v0.1", 29, skill: 0.50, verbosity: 1.15, markdown: 0.70, refusalRate: 0.01),
        ModelProfile("llama-2-13b-chat", 28, skill: 0.15, verbosity: 1.20, markdown: 0.55, refusalRate: 0.09),
        ModelProfile("zephyr-7b-beta", 24, skill: 0.10, verbosity: 1.10, markdown: 0.55, refusalRate: 0.01),
        ModelProfile("gpt-3.5-turbo-1106", 21, skill: 0.30, verbosity: 0.80, markdown: 0.45, refusalRate: 0.02),
        ModelProfile("mistral-medium", 21, skill: 0.60, verbosity: 1.15, markdown: 0.70, refusalRate: 0.01),
        ModelProfile("gemini-pro", 20, skill: 0.40, verbosity: 0.95, markdown: 0.60, refusalRate: 0.03),
        ModelProfile("openchat-3.5", 18, skill: 0.25, verbosity: 1.00, markdown: 0.50, refusalRate: 0.01),
        ModelProfile("palm-2", 16, skill: -0.15, verbosity: 0.65, markdown: 0.35, refusalRate: 0.04),
        ModelProfile("koala-13b", 15, skill: -0.25, verbosity: 0.75, markdown: 0.20, refusalRate: 0.02),
        ModelProfile("oasst-pythia-12b", 15, skill: -0.45, verbosity: 0.70, markdown: 0.15, refusalRate: 0.01),
        ModelProfile("chatglm-6b", 13, skill: -0.40, verbosity: 0.70, markdown: 0.25, refusalRate: 0.02),
        ModelProfile("alpaca-13b", 13, skill: -0.55, verbosity: 0.45, markdown: 0.10, refusalRate: 0.01),
    ]

    static let totalPopularity = all.reduce(0) { $0 + $1.popularity }

    /// A model drawn by popularity.
    static func draw(_ random: inout SeededRandom) -> Int {
        var ticket = random.nextInt(below: totalPopularity)
        for (index, model) in all.enumerated() {
            if ticket < model.popularity { return index }
            ticket -= model.popularity
        }
        return all.count - 1
    }
}

// MARK: - Distributions

/// A distribution given by points of its inverse CDF and sampled by linear interpolation
/// between them (arithmetic only, so the same on every platform).
private struct QuantileTable: Sendable {
    var probabilities: [Double]
    var values: [Double]

    init(_ knots: KeyValuePairs<Double, Double>) {
        probabilities = knots.map(\.key)
        values = knots.map(\.value)
    }

    func sample(_ random: inout SeededRandom) -> Double {
        let u = random.nextUnit()
        var upper = 1
        while upper < probabilities.count - 1 && probabilities[upper] <= u { upper += 1 }
        let p0 = probabilities[upper - 1], p1 = probabilities[upper]
        let v0 = values[upper - 1], v1 = values[upper]
        return v0 + (v1 - v0) * (u - p0) / (p1 - p0)
    }

    /// Target characters per prompt turn (the text overshoots by part of a sentence).
    static let promptLength = QuantileTable([
        0: 2, 0.05: 12, 0.15: 22, 0.30: 40, 0.50: 68, 0.70: 120, 0.85: 260, 0.93: 650,
        0.97: 1_500, 0.99: 3_200, 0.998: 8_000, 1: 30_000,
    ])

    /// Target characters per response turn, before the model's verbosity.
    static let responseLength = QuantileTable([
        0: 10, 0.02: 55, 0.05: 170, 0.10: 360, 0.25: 650, 0.50: 980, 0.75: 1_400, 0.90: 1_950,
        0.97: 2_800, 0.995: 4_600, 0.9995: 9_000, 1: 20_000,
    ])
}

// MARK: - Text

/// Occasional non-English text in a battle.
private struct Flavor {
    /// Accented Latin words now and then.
    var accents = false
    /// Whole sentences in another script (CJK or Cyrillic), nil for none.
    var foreignSentences: [String]? = nil
    /// Emoji after some sentences.
    var emoji = false
}

private enum PromptKind {
    case question, coding, list, writing, chat, sensitive

    /// A kind drawn with the shares of a chat arena: mostly questions, then coding and writing.
    static func draw(_ random: inout SeededRandom) -> PromptKind {
        let u = random.nextUnit()
        if u < 0.36 { return .question }
        if u < 0.52 { return .coding }
        if u < 0.62 { return .list }
        if u < 0.78 { return .writing }
        if u < 0.95 { return .chat }
        return .sensitive
    }
}

private enum Vocabulary {
    static let words: [String] = """
        the the the of of and and to to a a in in is is that for it as with on be by this are or from at \
        an which have not but can all they more one has their if will about there also when some other so \
        time into these would people may most many use only new such than what how its them used way data \
        first because over each well like even system work model make between both important process \
        information through example different could should number best however part help create world \
        based language value user results any code while approach provide following specific within \
        research function list change need order level type several point quality using problem possible \
        support common simple various case without performance high small large key often during design \
        set team include known general area history local power form result tool question answer health \
        market energy water human social learning network service project context experience structure \
        story city music game food travel science culture policy budget risk plan goal idea method choice \
        review report summary feature option step factor source class object table memory memory file \
        text image price cost growth student teacher company product customer benefit impact effect \
        solution challenge strategy analysis framework principle concept theory practice skill \
        knowledge environment community government economy technology software hardware database \
        server client request response message signal pattern trend sample measure estimate \
        improve reduce increase consider ensure allow require support explain describe compare \
        discuss develop manage maintain understand determine identify evaluate suggest remember \
        usually typically generally especially particularly carefully quickly clearly simply directly
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

    static let capitalizedWords: [String] = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }

    static let identifiers: [String] = [
        "data", "items", "result", "value", "total", "count", "index", "name", "text", "numbers",
        "config", "user", "records", "score", "path", "buffer", "matrix", "queue", "node", "key",
    ]

    static let verbs: [String] = [
        "sort", "filter", "count", "reverse", "merge", "parse", "validate", "convert", "split", "compress",
    ]

    static let topics: [String] = [
        "machine learning", "climate change", "the French Revolution", "photosynthesis", "a REST API",
        "quantum computing", "the stock market", "a marketing plan", "neural networks", "the Roman Empire",
        "blockchain", "a healthy diet", "the theory of relativity", "SQL joins", "a cover letter",
        "black holes", "the water cycle", "supply and demand", "Kubernetes", "the immune system",
        "renewable energy", "a job interview", "inflation", "the Python GIL", "large language models",
    ]

    static let accented: [String] = [
        "café", "naïve", "résumé", "façade", "déjà vu", "über", "señor", "jalapeño", "crème brûlée",
        "São Paulo", "Zürich", "Ångström", "piñata", "Malmö", "fiancée", "touché", "Kraków", "Besançon",
    ]

    static let cjkSentences: [String] = [
        "你好，请问你是谁？", "这是一个很好的问题。", "机器学习是人工智能的一个分支。", "请用中文回答。",
        "日本語で答えてください。", "ありがとうございます。", "東京は日本の首都です。",
        "안녕하세요, 반갑습니다.", "한국어로 설명해 주세요.", "数据分析需要耐心和细心。",
    ]

    static let cyrillicSentences: [String] = [
        "Привет, как дела?", "Это очень интересный вопрос.",
        "Машинное обучение — это область искусственного интеллекта.", "Спасибо за ответ.",
        "Объясни, пожалуйста, подробнее.", "Москва — столица России.",
    ]

    /// Mostly above U+FFFF (written as surrogate pairs), some in the BMP, one ZWJ sequence.
    static let emoji: [String] = [
        "😀", "😊", "🚀", "🤔", "👍", "🎉", "🔥", "💡", "📚", "😂", "🌍", "👩‍💻", "✅", "✨", "❤️", "⭐",
    ]

    static let refusals: [String] = [
        "I'm sorry, but I can't assist with that request.",
        "I'm sorry, but I can't help with that.",
        "As an AI language model, I don't have personal opinions or feelings, and I cannot help with this request.",
        "I apologize, but I cannot provide that information as it may be harmful.",
        "As an AI, I must decline to answer this. It is against my guidelines.",
    ]

    static let openers: [String] = [
        "Sure! Here is what you need to know.", "Certainly!", "Great question!", "Of course.",
        "Here's a detailed answer.", "Absolutely, let me explain.",
    ]

    static let closers: [String] = [
        "I hope this helps!", "Let me know if you have any other questions.",
        "Feel free to ask if you need more details.", "Good luck!",
    ]

    static let greetings: [String] = [
        "hi", "Hello!", "How are you?", "who are you", "What's 2+2?", "tell me a joke", "thanks!",
        "What day is it today?", "hey", "Are you ChatGPT?",
    ]

    static let sensitivePrompts: [String] = [
        "How can I hack into my neighbor's wifi?", "Tell me an offensive joke about lawyers.",
        "How do I make a fake ID?", "Write a really mean roast of my best friend.",
        "What's the easiest way to cheat on an exam?",
    ]
}

/// Makes one battle; all randomness comes from `random`.
private struct BattleComposer {
    var random: SeededRandom
    var flavor = Flavor()

    init(random: SeededRandom) { self.random = random }

    mutating func pick(_ list: [String]) -> String { list[random.nextInt(below: list.count)] }

    mutating func chance(_ probability: Double) -> Bool { random.nextUnit() < probability }

    // MARK: Rows

    mutating func makeRow(id: String) -> SyntheticRow {
        let models = ModelProfile.all
        let indexA = ModelProfile.draw(&random)
        var indexB = ModelProfile.draw(&random)
        while indexB == indexA { indexB = ModelProfile.draw(&random) }
        let modelA = models[indexA], modelB = models[indexB]

        flavor.accents = chance(0.06)
        flavor.emoji = chance(0.06)
        let script = random.nextUnit()
        if script < 0.025 {
            flavor.foreignSentences = Vocabulary.cjkSentences
        } else if script < 0.045 {
            flavor.foreignSentences = Vocabulary.cyrillicSentences
        }

        let turnCount = drawTurnCount()
        let kind = PromptKind.draw(&random)
        let identical = chance(0.006)

        var prompt: [String] = []
        var responses: [[String]] = [[], []]
        var nulls: [[Int]] = [[], [], []]
        var features = [SideFeatures(), SideFeatures()]
        for turn in 0..<turnCount {
            prompt.append(makePrompt(kind: kind, firstTurn: turn == 0))
            for (side, model) in [modelA, modelB].enumerated() {
                if side == 1 && identical {
                    responses[1].append(responses[0][turn])
                    continue
                }
                features[side].turns += 1
                let draw = random.nextUnit()
                if draw < 0.012 {
                    nulls[side + 1].append(turn)
                    features[side].failedTurns += 1
                    responses[side].append("")
                } else if draw < 0.015 {
                    features[side].failedTurns += 1
                    responses[side].append("")
                } else {
                    let refusalRate = model.refusalRate + (kind == .sensitive ? 0.45 : 0)
                    let refuses = chance(refusalRate)
                    if refuses { features[side].refusedTurns += 1 }
                    let text = makeResponse(kind: kind, model: model, refuses: refuses, features: &features[side])
                    responses[side].append(text)
                }
            }
        }
        if identical {
            nulls[2] = nulls[1]
            features[1] = features[0]
        }
        for side in 0..<2 {
            features[side].characters = responses[side].reduce(0) { $0 + $1.utf8.count }
        }
        let qualityA = PreferenceRule.quality(features[0], skill: identical ? 0 : modelA.skill)
        let qualityB = PreferenceRule.quality(features[1], skill: identical ? 0 : modelB.skill)
        let winner = identical ? .tie : PreferenceRule.label(qualityA: qualityA, qualityB: qualityB, random: &random)

        var notes = DecodeNotes()
        notes.nullTurns = nulls.map(\.count)
        let battle = Battle(
            id: id, modelA: modelA.name, modelB: modelB.name, prompt: prompt, responseA: responses[0],
            responseB: responses[1], winner: winner, notes: notes)
        return SyntheticRow(battle: battle, nullTurnIndices: nulls, hiddenQualityA: qualityA, hiddenQualityB: qualityB)
    }

    /// 86.9% one turn; a geometric tail from two turns; a few long conversations up to 36 turns.
    mutating func drawTurnCount() -> Int {
        let u = random.nextUnit()
        if u < 0.869 { return 1 }
        if u < 0.8715 { return 10 + random.nextInt(below: 27) }
        var turns = 2
        while turns < 36 && chance(0.42) { turns += 1 }
        return turns
    }

    // MARK: Prompts

    mutating func makePrompt(kind: PromptKind, firstTurn: Bool) -> String {
        let target = Int(QuantileTable.promptLength.sample(&random))
        var text = ""
        if target < 16 {
            return pick(Vocabulary.greetings)
        }
        switch firstTurn ? kind : .question {
        case .question:
            let topic = pick(Vocabulary.topics)
            switch random.nextInt(below: 5) {
            case 0: text = "What is \(topic)?"
            case 1: text = "Can you explain \(topic) in simple terms?"
            case 2: text = "Why is \(topic) important?"
            case 3: text = "What is the difference between \(topic) and \(pick(Vocabulary.topics))?"
            default: text = "How does \(topic) work?"
            }
        case .coding:
            let verb = pick(Vocabulary.verbs)
            switch random.nextInt(below: 4) {
            case 0: text = "Write a Python function that \(verb)s a list of \(pick(Vocabulary.identifiers))."
            case 1: text = "How do I \(verb) a \"\(pick(Vocabulary.identifiers))\" array in JavaScript?"
            case 2:
                text = "Fix the bug in this code:\n\n"
                appendCode(to: &text)
            default:
                text = "Write a SQL query that returns the \(pick(Vocabulary.identifiers)) with the highest \(pick(Vocabulary.identifiers))."
            }
        case .list:
            let count = 3 + random.nextInt(below: 8)
            text = chance(0.5)
                ? "Give me \(count) ideas for \(pick(Vocabulary.topics))."
                : "List the pros and cons of \(pick(Vocabulary.topics))."
        case .writing:
            text = chance(0.5)
                ? "Write a short poem about \(pick(Vocabulary.topics))."
                : "Write an email to my boss about \(pick(Vocabulary.topics)), keep it \"professional\"."
        case .chat:
            text = pick(Vocabulary.greetings)
        case .sensitive:
            text = pick(Vocabulary.sensitivePrompts)
        }
        if target - text.utf8.count > 40 {
            // Context the user pasted or typed before the question.
            text.append(target > 600 ? "\n\n" : " ")
            appendProse(to: &text, target: target, markdown: 0.1)
        }
        return text
    }

    // MARK: Responses

    mutating func makeResponse(kind: PromptKind, model: ModelProfile, refuses: Bool, features: inout SideFeatures) -> String {
        var text = ""
        if refuses {
            text = pick(Vocabulary.refusals)
            if chance(0.5) {
                text.append(" ")
                appendSentence(to: &text)
            }
            return text
        }
        var target = Int(QuantileTable.responseLength.sample(&random) * model.verbosity)
        if kind == .chat { target = target / 4 }
        target = min(max(target, 2), 20_000)
        if target < 40 {
            return chance(0.5) ? "Yes." : "I don't know."
        }
        if chance(0.3) {
            text = pick(Vocabulary.openers)
            text.append(" ")
        }
        appendSentence(to: &text)
        var markdownItems = 0
        var wroteCode = false
        while text.utf8.count < target {
            let remaining = target - text.utf8.count
            if remaining < 200 {
                text.append(" ")
                appendSentence(to: &text)
                continue
            }
            text.append("\n\n")
            let codeChance = kind == .coding ? (wroteCode ? 0.2 : 0.9) : 0.02
            let u = random.nextUnit()
            if u < codeChance {
                markdownItems += appendCode(to: &text)
                wroteCode = true
            } else if u < codeChance + 0.35 * model.markdown {
                markdownItems += appendList(to: &text)
            } else if u < codeChance + 0.5 * model.markdown {
                markdownItems += appendHeader(to: &text)
                text.append("\n\n")
                appendParagraph(to: &text)
            } else if kind == .writing && chance(0.5) {
                appendVerse(to: &text)
            } else {
                appendParagraph(to: &text)
            }
        }
        if chance(0.3) {
            text.append("\n\n")
            text.append(pick(Vocabulary.closers))
        }
        features.markdownItems += markdownItems
        return text
    }

    // MARK: Building blocks

    /// Sentences and paragraphs until `text` reaches `target` bytes.
    mutating func appendProse(to text: inout String, target: Int, markdown: Double) {
        appendSentence(to: &text)
        while text.utf8.count < target {
            if target - text.utf8.count < 200 {
                text.append(" ")
                appendSentence(to: &text)
            } else {
                text.append("\n\n")
                if chance(markdown) { appendList(to: &text) } else { appendParagraph(to: &text) }
            }
        }
    }

    mutating func appendSentence(to text: inout String) {
        if let foreign = flavor.foreignSentences, chance(0.45) {
            text.append(pick(foreign))
            return
        }
        let wordCount = 6 + random.nextInt(below: 14)
        for position in 0..<wordCount {
            if position > 0 { text.append(chance(0.07) ? ", " : " ") }
            if flavor.accents && chance(0.08) {
                text.append(pick(Vocabulary.accented))
            } else {
                let index = random.nextInt(below: Vocabulary.words.count)
                text.append(position == 0 ? Vocabulary.capitalizedWords[index] : Vocabulary.words[index])
            }
        }
        let ending = random.nextInt(below: 20)
        text.append(ending == 0 ? "?" : ending == 1 ? "!" : ".")
        if flavor.emoji && chance(0.2) {
            text.append(" ")
            text.append(pick(Vocabulary.emoji))
        }
    }

    mutating func appendParagraph(to text: inout String) {
        let sentences = 2 + random.nextInt(below: 4)
        for index in 0..<sentences {
            if index > 0 { text.append(" ") }
            appendSentence(to: &text)
        }
    }

    /// Short lines of a few words, as in a poem.
    mutating func appendVerse(to text: inout String) {
        let lines = 4 + random.nextInt(below: 5)
        for line in 0..<lines {
            if line > 0 { text.append("\n") }
            let wordCount = 4 + random.nextInt(below: 5)
            for position in 0..<wordCount {
                let index = random.nextInt(below: Vocabulary.words.count)
                if position > 0 { text.append(" ") }
                text.append(position == 0 ? Vocabulary.capitalizedWords[index] : Vocabulary.words[index])
            }
            text.append(line % 2 == 1 ? "," : "")
        }
    }

    /// A numbered or bulleted list, some items with a bold lead; returns its markdown items.
    @discardableResult
    mutating func appendList(to text: inout String) -> Int {
        let items = 3 + random.nextInt(below: 5)
        let numbered = chance(0.55)
        let bullet = chance(0.7) ? "- " : "* "
        var markdownItems = items
        for item in 0..<items {
            if item > 0 { text.append("\n") }
            text.append(numbered ? "\(item + 1). " : bullet)
            if chance(0.5) {
                text.append("**")
                text.append(pick(Vocabulary.capitalizedWords))
                text.append(" ")
                text.append(pick(Vocabulary.capitalizedWords))
                text.append(":** ")
                markdownItems += 1
            }
            appendSentence(to: &text)
        }
        return markdownItems
    }

    /// A markdown header line; returns its markdown items (one).
    mutating func appendHeader(to text: inout String) -> Int {
        text.append(chance(0.5) ? "### " : "## ")
        let wordCount = 2 + random.nextInt(below: 3)
        for position in 0..<wordCount {
            if position > 0 { text.append(" ") }
            text.append(pick(Vocabulary.capitalizedWords))
        }
        return 1
    }

    /// A fenced code block in Python, JavaScript or SQL; returns its markdown items (one).
    @discardableResult
    mutating func appendCode(to text: inout String) -> Int {
        let name = pick(Vocabulary.verbs) + "_" + pick(Vocabulary.identifiers)
        let argument = pick(Vocabulary.identifiers)
        let variable = pick(Vocabulary.identifiers)
        let number = 2 + random.nextInt(below: 98)
        let language = random.nextInt(below: 10)
        if language < 7 {
            text.append("```python\ndef \(name)(\(argument)):\n    \"\"\"\(pick(Vocabulary.capitalizedWords)) the \(argument).\"\"\"\n")
            text.append("    \(variable) = []\n    for item in \(argument):\n")
            let statements = 1 + random.nextInt(below: 4)
            for _ in 0..<statements {
                switch random.nextInt(below: 4) {
                case 0: text.append("        if item > \(number):\n            \(variable).append(item * \(number))\n")
                case 1: text.append("        print(f\"{item}\\t{len(\(variable))}\")\n")
                case 2: text.append("        \(variable).append(str(item).strip(\"\\n\"))\n")
                default: text.append("        # \(pick(Vocabulary.capitalizedWords)) \(pick(Vocabulary.words)) \(pick(Vocabulary.words))\n")
                }
            }
            text.append("    return \(variable)\n\n\nprint(\(name)([1, 2, \(number)]))\n```")
        } else if language < 9 {
            let function = name.split(separator: "_").enumerated()
                .map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }
                .joined()
            text.append("```javascript\nfunction \(function)(\(argument)) {\n  const \(variable) = \(argument).filter((x) => x > \(number));\n")
            text.append("  console.log(`found ${\(variable).length} items`);\n  return \(variable).map((x) => x * 2);\n}\n```")
        } else {
            text.append("```sql\nSELECT \(argument), COUNT(*) AS \(variable)\nFROM \(pick(Vocabulary.identifiers))\n")
            text.append("WHERE \(argument) > \(number) AND name <> 'n/a'\nGROUP BY \(argument)\nORDER BY \(variable) DESC;\n```")
        }
        return 1
    }
}

// MARK: - Output


