import ArenaData
import Foundation
import Testing
import Tokenizers
@testable import FeatureModels
@testable import Finetuning
@testable import Pipelines
@testable import Prediction
@testable import Runs

/// BattleEncoder as it was before it capped texts: every text tokenised whole, then cut.
func uncappedSequences(_ encoder: BattleEncoder, _ battle: Battle, swapped: Bool = false) throws -> [[Int]] {
    let tokenizer = encoder.tokenizer
    let prompt = encoder.cleaned(battle.prompt)
    let first = encoder.cleaned(swapped ? battle.responseB : battle.responseA)
    let second = encoder.cleaned(swapped ? battle.responseA : battle.responseB)
    func pair(_ response: [String]) throws -> [Int] {
        let prompts = encoder.selected(prompt)
        let responses = encoder.selected(response)
        switch encoder.pairFormat {
        case .template:
            var pieces: [String] = []
            for turn in 0..<max(prompts.count, responses.count) {
                let p = turn < prompts.count ? prompts[turn] : ""
                let r = turn < responses.count ? responses[turn] : ""
                pieces.append("Prompt: \(p)\n\nResponse: \(r)")
            }
            return try tokenizer.encode(pieces.joined(separator: "\n\n"), maxLength: encoder.maxLength).ids
        case .sep:
            return try tokenizer.encode(prompts.joined(separator: "\n\n"), pair: responses.joined(separator: "\n\n"),
                                        maxLength: encoder.maxLength, strategy: .longestFirst).ids
        }
    }
    func joined(_ turns: [String]) throws -> [Int] {
        var ids: [Int] = []
        for (index, text) in encoder.selected(turns).enumerated() {
            if index > 0, let turn = encoder.markers["[TURN]"] { ids.append(turn) }
            ids += try tokenizer.tokenize(text)
        }
        return ids
    }
    switch encoder.architecture {
    case .pair:
        return [try pair(first), try pair(second)]
    case .cross:
        let specials = tokenizer.specialTokens
        let p = try joined(prompt)
        let ra = try joined(first)
        let rb = try joined(second)
        let shares = BattleEncoder.shares(lengths: [p.count, ra.count, rb.count], budget: encoder.maxLength - 5)
        var ids = [specials.classification, encoder.markers["[PROMPT]"] ?? specials.separator]
        ids += p.suffix(shares[0])
        ids.append(encoder.markers["[RESPONSE_A]"] ?? specials.separator)
        ids += ra.prefix(shares[1])
        ids.append(encoder.markers["[RESPONSE_B]"] ?? specials.separator)
        ids += rb.prefix(shares[2])
        ids.append(specials.separator)
        return [ids]
    }
}

private let repositoryRoot: String = {
    var folder = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { folder.deleteLastPathComponent() }
    return folder.path
}()

private func miniLM() throws -> (any Tokenizer)? {
    let path = ProcessInfo.processInfo.environment["ARENA_MINILM"].flatMap { $0.isEmpty ? nil : $0 }
        ?? repositoryRoot + "/.models/all-MiniLM-L6-v2"
    guard FileManager.default.fileExists(atPath: path + "/config.json") else { return nil }
    return try TokenizerLoader.load(folder: path)
}

private func sentencePiece() throws -> any Tokenizer {
    try SentencePieceTokenizer(modelFile: repositoryRoot + "/Tests/TokenizersTests/Fixtures/spm.model")
}

private func sampleBattles() throws -> [Battle]? {
    let path = repositoryRoot + "/../shared/data/arena-sample/train.csv"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let reader = try BattleReader(path: path, options: .training)
    var battles: [Battle] = []
    while let battle = try reader.next() { battles.append(battle) }
    return battles
}

/// A text of about `bytes` bytes: the sample's responses run together.
private func longText(bytes: Int, from battles: [Battle]) -> String {
    let base = battles.prefix(50).flatMap { $0.responseA + $0.responseB }.joined(separator: "\n\n") + "\n\n"
    return String(repeating: base, count: bytes / base.utf8.count + 1)
}

@Suite struct BattleEncoderCapTests {
    /// Every setting of the encoder gives the ids it gave when it tokenised every text whole, on
    /// the real sample (max lengths small enough that most battles are cut, odd and even
    /// budgets for the [SEP] pair) and on battles with adversarial texts.
    @Test func cappedEncodingEqualsUncappedOnTheSample() throws {
        guard let battles = try sampleBattles() else {
            Issue.record("../shared/data/arena-sample/train.csv is missing")
            return
        }
        var tokenizers: [(String, any Tokenizer)] = [("sentencepiece", try sentencePiece())]
        if let minilm = try miniLM() { tokenizers.insert(("minilm", minilm), at: 0) } else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh (or set ARENA_MINILM)")
        }
        var generator = CapTestRandom(seed: 21)
        let adversarial = (0..<12).map { index in
            Battle(id: "adversarial-\(index)", prompt: adversarialTurns(&generator), responseA: adversarialTurns(&generator),
                   responseB: adversarialTurns(&generator), winner: .tie)
        }
        let sample = Array(battles.prefix(400)) + adversarial
        for (name, tokenizer) in tokenizers {
            let encoders = [
                try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 64, turns: .all),
                try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 512, turns: .all),
                try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 32, turns: .first),
                try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 128, turns: .first),
                try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 64, turns: .all, pairFormat: .sep),
                try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 33, turns: .first, pairFormat: .sep, textCleanup: true),
            ]
            for encoder in encoders {
                var cut = 0
                for battle in sample {
                    let expected = try uncappedSequences(encoder, battle)
                    let actual = try encoder.encode(battle).sequences
                    #expect(actual == expected, "\(name) \(encoder.architecture) \(encoder.pairFormat) max \(encoder.maxLength): battle \(battle.id)")
                    if actual != expected { return }
                    if expected.contains(where: { $0.count == encoder.maxLength }) { cut += 1 }
                }
                #expect(cut > 10, "\(name) \(encoder.architecture) max \(encoder.maxLength): only \(cut) battles cut")
            }
            let swappedEncoder = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 64, turns: .all)
            for battle in sample.prefix(50) {
                #expect(try swappedEncoder.encode(battle, swapped: true).sequences == (try uncappedSequences(swappedEncoder, battle, swapped: true)))
            }
        }
    }

    /// A battle with a 50 MB response (and one with a 50 MB prompt) encoded at max length 256
    /// tokenises a few kilobytes, not the 50 MB (before, the whole text went through the
    /// tokenizer); the ids equal the uncapped ones, checked on a 1 MB version.
    @Test func fiftyMegabyteTextsCostABoundedAmount() throws {
        guard let battles = try sampleBattles() else {
            Issue.record("../shared/data/arena-sample/train.csv is missing")
            return
        }
        let huge = longText(bytes: 50_000_000, from: battles)
        let medium = longText(bytes: 1_000_000, from: battles)
        var tokenizers: [(String, any Tokenizer)] = [("sentencepiece", try sentencePiece())]
        if let minilm = try miniLM() { tokenizers.append(("minilm", minilm)) }
        for (name, tokenizer) in tokenizers {
            let encoder = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 256, turns: .all)
            // SentencePiece keeps a long prompt whole (see SentencePieceTokenizer.leadingIDs).
            let longPrompt = tokenizer is WordPieceTokenizer
            for text in [medium, huge] {
                let battle = Battle(id: "big", prompt: longPrompt ? ["Say it again.", text] : ["Say it at length."],
                                    responseA: [text, "more"], responseB: ["A short answer."], winner: .modelB)
                let work = TokenizerWork()
                let encoded = try work.measure { try encoder.encode(battle) }
                #expect(encoded.sequences[0].count == 256)
                #expect(work.bytesTokenized < 50_000, "\(name): \(work.bytesTokenized) bytes tokenised for a \(text.utf8.count)-byte text")
                #expect(work.steps < 1_000_000, "\(name): \(work.steps) steps")
                if text.utf8.count < 2_000_000 {
                    #expect(encoded.sequences == (try uncappedSequences(encoder, battle)), "\(name)")
                }
            }
        }
    }
}

/// One to three turns of adversarial fragments (see AdversarialText in TokenizersTests),
/// with markers and long unbroken runs near where a cut would fall.
private func adversarialTurns(_ generator: inout CapTestRandom) -> [String] {
    let fragments = [
        "word", "the", " ", "   ", "\n\n", "\t", "\u{85}", "\u{3000}", ".", ",", "don't", String(repeating: "x", count: 150),
        String(repeating: "ab", count: 300), "[SEP]", "[CLS]", "[TURN]", "[PROMPT]", "[SE", "P]", "日本語のテキスト", "한국어",
        "😀", "👩‍👩‍👧‍👦", "é", "e\u{301}", "a\u{301}\u{316}", "İstanbul", "ΣΑΣ", "ﬁ", "ｆｕｌｌ", "\u{200B}", "3.14",
    ]
    return (0..<Int(1 + generator.next() % 3)).map { _ in
        var text = ""
        for _ in 0..<Int(generator.next() % 600) {
            text += fragments[Int(generator.next() % UInt64(fragments.count))]
            if generator.next() % 3 != 0 { text += " " }
        }
        return text
    }
}

/// SplitMix64, for seeded texts.
private struct CapTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
