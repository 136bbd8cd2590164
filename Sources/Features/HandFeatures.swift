import ArenaData
import Foundation

/// Hand-made features of a battle: S3's turn-length statistics, markdown structure, refusals,
/// prompt overlap and A/B similarity, as one named vector per battle.
///
/// Layout of `names` (122 columns):
/// 1. `a_<f>` for each per-side feature `f` of response A (32, listed below), then `b_<f>`;
/// 2. `diff_<f>` = A - B for every per-side feature;
/// 3. `ratio_<f>` = ln((1 + A) / (1 + B)) for the 16 count-like ones that have no log twin
///    (the ratio of the character sums, means and maxima is already `diff_log_chars` and so on);
/// 4. symmetric features of the pair and of the prompt (10).
///
/// Per-side features: S3's 14 first (`chars`, `chars_mean`, `chars_max` over the turn lengths in
/// characters, `log_chars`, `log_chars_mean`, `log_chars_max` = ln(1 + each), `chars_median`,
/// `chars_std` (population), `chars_effective_mean` (over non-blank turns), and
/// `chars_minus_prompt`, `chars_mean_minus_prompt`, `chars_max_minus_prompt`,
/// `chars_median_minus_prompt`, `chars_effective_mean_minus_prompt`: the response's statistic
/// minus the prompt's); then `words`, `distinct_words`, `lines`, `paragraphs`, `list_items`,
/// `headers`, `bold`, `code_blocks`, `links`, `tables`, `latex`, `question_marks`, `refusals`
/// (counted as the comment on `TextStructure` in TextScanning.swift describes), `turns`,
/// `empty_turns` (blank ones), `empty` (1 when every turn is blank), `words_from_prompt` (the
/// share of the response's distinct words that the prompt has) and `prompt_words_covered` (the
/// share of the prompt's distinct words that the response repeats). Words for these sets are
/// scikit-learn-style word tokens (2+ letters or digits), ASCII case-folded.
///
/// Symmetric features: `identical_responses`, `both_empty`, `ab_word_jaccard` (distinct-word
/// Jaccard similarity of A and B; 1 when neither has a word), and `prompt_turns`,
/// `prompt_chars`, `log_prompt_chars`, `prompt_words`, `prompt_lines`, `prompt_question_marks`,
/// `prompt_code_blocks`.
///
/// The swap contract: `extract(battle.swapped)` equals `swapPermutation.apply(to: extract(battle))`
/// exactly. A and B columns exchange, `diff_` and `ratio_` columns change sign, symmetric ones
/// stay. It holds bit for bit because every per-side value is computed by the same code from that
/// side alone, and differences are taken in double precision before rounding to Float.
public enum HandFeatures {
    /// The feature names, in the order `extract` returns the values.
    public static let names: [String] = {
        let side = SideFeature.allCases.map(\.rawValue)
        return side.map { "a_" + $0 } + side.map { "b_" + $0 } + side.map { "diff_" + $0 }
            + ratioFeatures.map { "ratio_" + SideFeature.allCases[$0].rawValue }
            + PairFeature.allCases.map(\.rawValue)
    }()

    /// The number of features.
    public static var count: Int { names.count }

    /// The columns of S3's 14 per-side statistics of response A, in S3's order.
    public static var turnLengthColumnsA: Range<Int> { 0..<SideFeature.turnLengthCount }

    /// The columns of S3's 14 per-side statistics of response B, in S3's order.
    public static var turnLengthColumnsB: Range<Int> {
        SideFeature.allCases.count..<(SideFeature.allCases.count + SideFeature.turnLengthCount)
    }

    /// The map from a battle's features to its swapped battle's (see the type's documentation).
    public static let swapPermutation: SwapPermutation = {
        let side = SideFeature.allCases.count
        let pairStart = 3 * side + ratioFeatures.count
        var sources: [Int] = []
        var signs: [Float] = []
        sources += (0..<side).map { side + $0 }  // a_ from b_
        sources += (0..<side).map { $0 }  // b_ from a_
        signs += [Float](repeating: 1, count: 2 * side)
        sources += Array(2 * side..<pairStart)  // diff_ and ratio_ change sign
        signs += [Float](repeating: -1, count: pairStart - 2 * side)
        sources += Array(pairStart..<(pairStart + PairFeature.allCases.count))
        signs += [Float](repeating: 1, count: PairFeature.allCases.count)
        return SwapPermutation(unchecked: sources, signs: signs)
    }()

    /// The features of one battle, in the order of `names`.
    public static func extract(_ battle: Battle) -> [Float] {
        let prompt = SideMeasurement(turns: battle.prompt)
        let a = SideMeasurement(turns: battle.responseA)
        let b = SideMeasurement(turns: battle.responseB)
        let valuesA = SideFeature.allCases.map { a.value($0, prompt: prompt) }
        let valuesB = SideFeature.allCases.map { b.value($0, prompt: prompt) }
        var features: [Float] = []
        features.reserveCapacity(count)
        features += valuesA.map(Float.init)
        features += valuesB.map(Float.init)
        features += zip(valuesA, valuesB).map { Float($0 - $1) }
        features += ratioFeatures.map { Float(log1p(valuesA[$0]) - log1p(valuesB[$0])) }
        let pair = PairContext(battle: battle, a: a, b: b, prompt: prompt)
        features += PairFeature.allCases.map { Float(pair.value($0)) }
        return features
    }

    /// The features of many battles, one row each, computed on all cores.
    public static func extract(_ battles: [Battle]) -> FeatureMatrix {
        let chunks = concurrentChunks(count: battles.count, chunkSize: 256) { range in
            var values: [Float] = []
            values.reserveCapacity(range.count * count)
            for index in range { values += extract(battles[index]) }
            return values
        }
        return FeatureMatrix(checkedNames: names, rows: battles.count, values: Array(chunks.joined()))
    }

    /// Indices into `SideFeature.allCases` of the features that get a `ratio_` column.
    static let ratioFeatures: [Int] = SideFeature.allCases.indices.filter { SideFeature.allCases[$0].hasRatio }
}

/// A feature computed for each response on its own.
enum SideFeature: String, CaseIterable {
    // S3's statistics of the turn lengths, in S3's order.
    case chars
    case charsMean = "chars_mean"
    case charsMax = "chars_max"
    case logChars = "log_chars"
    case logCharsMean = "log_chars_mean"
    case logCharsMax = "log_chars_max"
    case charsMedian = "chars_median"
    case charsStd = "chars_std"
    case charsEffectiveMean = "chars_effective_mean"
    case charsMinusPrompt = "chars_minus_prompt"
    case charsMeanMinusPrompt = "chars_mean_minus_prompt"
    case charsMaxMinusPrompt = "chars_max_minus_prompt"
    case charsMedianMinusPrompt = "chars_median_minus_prompt"
    case charsEffectiveMeanMinusPrompt = "chars_effective_mean_minus_prompt"
    // Structure.
    case words
    case distinctWords = "distinct_words"
    case lines
    case paragraphs
    case listItems = "list_items"
    case headers
    case bold
    case codeBlocks = "code_blocks"
    case links
    case tables
    case latex
    case questionMarks = "question_marks"
    case refusals
    case turns
    case emptyTurns = "empty_turns"
    case empty
    // Overlap with the prompt.
    case wordsFromPrompt = "words_from_prompt"
    case promptWordsCovered = "prompt_words_covered"

    /// The number of S3 statistics, which come first.
    static let turnLengthCount = 14

    /// Whether a `ratio_` column is kept: counts that may be 0 and have no `log_` twin.
    var hasRatio: Bool {
        switch self {
        case .charsMedian, .charsStd, .charsEffectiveMean, .words, .distinctWords, .lines, .paragraphs, .listItems,
            .headers, .bold, .codeBlocks, .links, .tables, .latex, .questionMarks, .refusals:
            return true
        default:
            return false
        }
    }
}

/// A feature of the pair or of the prompt, the same for the swapped battle.
enum PairFeature: String, CaseIterable {
    case identicalResponses = "identical_responses"
    case bothEmpty = "both_empty"
    case abWordJaccard = "ab_word_jaccard"
    case promptTurns = "prompt_turns"
    case promptChars = "prompt_chars"
    case logPromptChars = "log_prompt_chars"
    case promptWords = "prompt_words"
    case promptLines = "prompt_lines"
    case promptQuestionMarks = "prompt_question_marks"
    case promptCodeBlocks = "prompt_code_blocks"
}

/// Everything measured on the turns of one side (or of the prompt).
struct SideMeasurement {
    var lengths: TurnLengthStatistics
    var structure = TextStructure()
    var turns: Int
    var blankTurns = 0
    /// The sorted, distinct hashes of its words.
    var words: [UInt64]

    init(turns: [String]) {
        var characters: [Int] = []
        var isBlank: [Bool] = []
        characters.reserveCapacity(turns.count)
        isBlank.reserveCapacity(turns.count)
        for turn in turns {
            let measured = structure.add(turn)
            characters.append(measured.characters)
            isBlank.append(measured.isBlank)
            if measured.isBlank { blankTurns += 1 }
        }
        self.turns = turns.count
        lengths = TurnLengthStatistics(lengths: characters, isBlank: isBlank)
        words = WordTokenizer.distinctWordHashes(turns)
    }

    /// Whether every turn is blank (or there is none).
    var isEmpty: Bool { blankTurns == turns }

    func value(_ feature: SideFeature, prompt: SideMeasurement) -> Double {
        switch feature {
        case .chars: return lengths.sum
        case .charsMean: return lengths.mean
        case .charsMax: return lengths.maximum
        case .logChars: return log1p(lengths.sum)
        case .logCharsMean: return log1p(lengths.mean)
        case .logCharsMax: return log1p(lengths.maximum)
        case .charsMedian: return lengths.median
        case .charsStd: return lengths.standardDeviation
        case .charsEffectiveMean: return lengths.effectiveMean
        case .charsMinusPrompt: return lengths.sum - prompt.lengths.sum
        case .charsMeanMinusPrompt: return lengths.mean - prompt.lengths.mean
        case .charsMaxMinusPrompt: return lengths.maximum - prompt.lengths.maximum
        case .charsMedianMinusPrompt: return lengths.median - prompt.lengths.median
        case .charsEffectiveMeanMinusPrompt: return lengths.effectiveMean - prompt.lengths.effectiveMean
        case .words: return Double(structure.words)
        case .distinctWords: return Double(words.count)
        case .lines: return Double(structure.lines)
        case .paragraphs: return Double(structure.paragraphs)
        case .listItems: return Double(structure.listItems)
        case .headers: return Double(structure.headers)
        case .bold: return Double(structure.bold)
        case .codeBlocks: return Double(structure.codeBlocks)
        case .links: return Double(structure.links)
        case .tables: return Double(structure.tables)
        case .latex: return Double(structure.latex)
        case .questionMarks: return Double(structure.questionMarks)
        case .refusals: return Double(structure.refusals)
        case .turns: return Double(turns)
        case .emptyTurns: return Double(blankTurns)
        case .empty: return isEmpty ? 1 : 0
        case .wordsFromPrompt: return share(sharedCount(words, prompt.words), of: words.count)
        case .promptWordsCovered: return share(sharedCount(words, prompt.words), of: prompt.words.count)
        }
    }
}

/// `part / whole`, 0 when `whole` is 0.
private func share(_ part: Int, of whole: Int) -> Double {
    whole > 0 ? Double(part) / Double(whole) : 0
}

/// What the symmetric features are computed from.
private struct PairContext {
    var battle: Battle
    var a: SideMeasurement
    var b: SideMeasurement
    var prompt: SideMeasurement

    func value(_ feature: PairFeature) -> Double {
        switch feature {
        case .identicalResponses: return battle.responseA == battle.responseB ? 1 : 0
        case .bothEmpty: return a.isEmpty && b.isEmpty ? 1 : 0
        case .abWordJaccard:
            let shared = sharedCount(a.words, b.words)
            let union = a.words.count + b.words.count - shared
            return union > 0 ? Double(shared) / Double(union) : 1
        case .promptTurns: return Double(prompt.turns)
        case .promptChars: return prompt.lengths.sum
        case .logPromptChars: return log1p(prompt.lengths.sum)
        case .promptWords: return Double(prompt.structure.words)
        case .promptLines: return Double(prompt.structure.lines)
        case .promptQuestionMarks: return Double(prompt.structure.questionMarks)
        case .promptCodeBlocks: return Double(prompt.structure.codeBlocks)
        }
    }
}
