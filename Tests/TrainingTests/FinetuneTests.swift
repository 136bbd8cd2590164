import ArenaData
import Evaluation
import Foundation
import Models
import Testing
import Tokenizers
import Torch

@testable import FeatureModels
@testable import Finetuning
@testable import Pipelines
@testable import Prediction
@testable import Runs

/// A tiny random BERT folder (2 layers, width 32) with a character-level WordPiece vocabulary,
/// written at test time.
enum TinyBert {
    static let vocabulary: [String] = {
        var tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        let characters = Array("abcdefghijklmnopqrstuvwxyz0123456789").map(String.init)
        tokens += characters + Array(".,!?'-:").map(String.init) + characters.map { "##" + $0 }
        return tokens
    }()

    static func make(seed: UInt64 = 3, dropout: Double = 0.1) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-tiny-bert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try vocabulary.joined(separator: "\n").write(toFile: path + "/vocab.txt", atomically: true, encoding: .utf8)
        let config = """
            {"model_type": "bert", "vocab_size": \(vocabulary.count), "hidden_size": 32, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 128, "type_vocab_size": 2,
             "hidden_dropout_prob": \(dropout), "attention_probs_dropout_prob": \(dropout), "pad_token_id": 0}
            """
        try config.write(toFile: path + "/config.json", atomically: true, encoding: .utf8)
        let store = try ParameterStore(seed: seed)
        _ = try BertModel(config: try ModelFolder(path: path).decodeConfig(BertConfig.self), store: store)
        try Safetensors.write(store.parameters, metadata: ["format": "pt"], to: path + "/model.safetensors")
        return path
    }
}

/// A tiny random DeBERTa-v3 folder (relative attention with log buckets, shared keys) with
/// the SentencePiece model the tokenizer tests train on the sample (spm_train), written at
/// test time.
enum TinyDeberta {
    static func make(seed: UInt64 = 5) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-tiny-deberta-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { root.deleteLastPathComponent() }
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("TokenizersTests/Fixtures/spm.model").path, toPath: path + "/spm.model")
        let tokenizer = try SentencePieceTokenizer(modelFile: path + "/spm.model")
        let config = """
            {"model_type": "deberta-v2", "vocab_size": \(tokenizer.vocabularySize), "hidden_size": 32, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 128, "type_vocab_size": 0,
             "relative_attention": true, "position_buckets": 16, "max_relative_positions": -1, "pos_att_type": "p2c|c2p",
             "norm_rel_ebd": "layer_norm", "share_att_key": true, "position_biased_input": false, "pad_token_id": 0,
             "layer_norm_eps": 1e-7, "hidden_act": "gelu", "pooler_hidden_size": 32, "pooler_dropout": 0, "pooler_hidden_act": "gelu"}
            """
        try config.write(toFile: path + "/config.json", atomically: true, encoding: .utf8)
        let store = try ParameterStore(seed: seed)
        _ = try DebertaV2Model(config: try ModelFolder(path: path).decodeConfig(DebertaV2Config.self), store: store)
        try Safetensors.write(store.parameters, metadata: ["format": "pt"], to: path + "/model.safetensors")
        return path
    }
}

/// Battles whose winner shows in the text: the response saying "good" beats the one saying
/// "bad"; two of a kind tie.
func markedBattles(_ count: Int, seed: UInt64 = 1) -> [Battle] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { index in
        let a = random.nextInt(below: 2) == 0
        let b = random.nextInt(below: 2) == 0
        let winner: Winner = a == b ? .tie : (a ? .modelA : .modelB)
        let filler = ["it is", "i think it is", "well, it is", "surely"][random.nextInt(below: 4)]
        return Battle(
            id: String(index), modelA: "x", modelB: "y", prompt: ["question \(index % 7)"],
            responseA: ["\(filler) \(a ? "good" : "bad")"], responseB: ["\(filler) \(b ? "good" : "bad")"], winner: winner)
    }
}

func temporaryRunFolder() throws -> RunFolder {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-ft-\(UUID().uuidString)").path
    return try RunFolder.begin(
        at: path, config: RunConfig(kind: .cross, data: "memory", rows: 0, folds: 1, seed: 0, createdAt: ""), overwrite: false,
        resume: false)
}

@Suite(.serialized) struct FinetuneTests {
    func settings(model: String, architecture: ClassifierArchitecture = .cross) -> FinetuneSettings {
        FinetuneSettings(
            architecture: architecture, model: model, maxLength: 48, batchSize: 8, epochs: 4, learningRate: 3e-3, warmupFraction: 0.1,
            labelSmoothing: 0, headDropout: 0, swapAveraging: true, calibrate: false, edgeCases: false, evaluationsPerEpoch: 1,
            validationFraction: 0.25, seed: 4)
    }

    /// Both architectures learn a rule a tiny model can see: validation log loss well below the
    /// uniform 1.0986; the run's saved fold weights predict exactly what training validated.
    @Test(arguments: [ClassifierArchitecture.cross, .pair])
    func learnsAndSavedWeightsReproduceValidationPredictions(architecture: ClassifierArchitecture) throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        let battles = markedBattles(96)
        let run = try temporaryRunFolder()
        var config = settings(model: model, architecture: architecture)
        config.epochs = 20
        let result = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: run, resume: false, device: .cpu)
        #expect(result.validatedRows.count == 24)
        #expect(result.metrics.oofLogLoss < 0.9, "validation log loss \(result.metrics.oofLogLoss)")
        let losses = result.records.map(\.trainingLoss)
        #expect(losses.suffix(3).reduce(0, +) < losses.prefix(3).reduce(0, +))
        #expect(result.records.count == 20 * 9)
        #expect(result.records.filter { $0.validationLoss != nil }.count == 20)

        let predicted = try FinetuneTraining.predict(
            battles: result.validatedRows.map { battles[$0] }, artifact: result.artifact, runPath: run.stagingPath, device: .cpu)
        for (row, expected) in zip(predicted, result.predictions) {
            for k in 0..<3 { #expect(abs(row[k] - expected[k]) < 1e-6) }
        }
        // Swap averaging makes predictions exactly swap-consistent.
        let swapped = try FinetuneTraining.predict(
            battles: result.validatedRows.map { battles[$0].swapped }, artifact: result.artifact, runPath: run.stagingPath, device: .cpu)
        for (forward, backward) in zip(predicted, swapped) {
            #expect(abs(forward[0] - backward[1]) < 1e-12 && abs(forward[2] - backward[2]) < 1e-12)
        }
    }

    /// DeBERTa-v3 with a SentencePiece tokenizer: the markers get ids after the pieces and
    /// [MASK], the embeddings grow to hold them, both heads train and the saved run predicts
    /// what training validated.
    @Test(arguments: [ClassifierArchitecture.cross, .pair])
    func debertaWithSentencePieceEndToEnd(architecture: ClassifierArchitecture) throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyDeberta.make()
        let battles = markedBattles(48)
        let run = try temporaryRunFolder()
        var config = settings(model: model, architecture: architecture)
        config.epochs = 2
        let result = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: run, resume: false, device: .cpu)
        let pieces = try SentencePieceTokenizer(modelFile: model + "/spm.model").vocabularySize
        #expect(result.artifact.vocabularySize == (architecture == .cross ? pieces + 4 : pieces))
        let weights = try SafetensorsFile(path: run.file("fold-0.safetensors"))
        #expect(weights.info("deberta.embeddings.word_embeddings.weight")?.shape == [result.artifact.vocabularySize, 32])
        #expect((weights.info("pooler.dense.weight") != nil) == (architecture == .cross))
        #expect(result.records.count == 2 * 5)
        let predicted = try FinetuneTraining.predict(
            battles: result.validatedRows.map { battles[$0] }, artifact: result.artifact, runPath: run.stagingPath, device: .cpu)
        for (row, expected) in zip(predicted, result.predictions) {
            for k in 0..<3 { #expect(abs(row[k] - expected[k]) < 1e-6) }
        }
    }

    /// S3: the pair head with the numeric-feature branch (standardised turn-length statistics),
    /// duplicates dropped, S2's clean-up and [SEP] format; the saved run predicts what training
    /// validated and stays exactly swap-consistent.
    @Test func numericFeaturesCleanupAndDuplicatesEndToEnd() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        // Distinct prompts, then 8 repeats of earlier battles under new ids.
        var battles = markedBattles(60).map { battle in var copy = battle; copy.prompt = ["question \(battle.id)"]; return copy }
        battles += battles.prefix(8).map { var copy = $0; copy.id += "-again"; return copy }
        let run = try temporaryRunFolder()
        var config = settings(model: model, architecture: .pair)
        config.numericFeatures = NumericFeatureHead(count: FeatureScaling.count, projectionWidth: 16, hiddenWidth: 8)
        config.dropDuplicates = true
        config.textCleanup = true
        config.pairFormat = .sep
        config.epochs = 2
        var log: [String] = []
        let result = try FinetuneTraining.run(
            battles: battles, settings: config, folds: 1, run: run, resume: false, device: .cpu, log: { log.append($0) })
        #expect(log.contains("dropped 8 repeated battles (same prompt and responses)"), "\(log)")
        #expect(result.validatedRows.count == 15)
        let scaling = try #require(result.artifact.featureScaling)
        #expect(scaling.mean.count == 14 && scaling.standardDeviation.allSatisfy { $0 > 0 })
        let weights = try SafetensorsFile(path: run.file("fold-0.safetensors"))
        #expect(weights.info("feature_projection.weight")?.shape == [16, 14])
        #expect(weights.info("hidden.weight")?.shape == [8, 2 * (32 + 16)])
        #expect(weights.info("classifier.weight")?.shape == [3, 8])
        let predicted = try FinetuneTraining.predict(
            battles: result.validatedBattles, artifact: result.artifact, runPath: run.stagingPath, device: .cpu)
        for (row, expected) in zip(predicted, result.predictions) {
            for k in 0..<3 { #expect(abs(row[k] - expected[k]) < 1e-6) }
        }
        let swapped = try FinetuneTraining.predict(
            battles: result.validatedBattles.map(\.swapped), artifact: result.artifact, runPath: run.stagingPath, device: .cpu)
        for (forward, backward) in zip(predicted, swapped) {
            #expect(abs(forward[0] - backward[1]) < 1e-12 && abs(forward[2] - backward[2]) < 1e-12)
        }
    }

    /// A high constant learning rate and three validation passes an epoch for three epochs:
    /// some passes do not improve, which early stopping and the plateau rule need.
    func unsteadySettings() throws -> FinetuneSettings {
        var config = settings(model: try TinyBert.make())
        config.learningRate = 0.02
        config.schedule = .constant
        config.warmupFraction = 0
        config.epochs = 3
        config.evaluationsPerEpoch = 3
        return config
    }

    /// Early stopping: with patience 1 the fold ends at the first validation pass that does not
    /// improve on the best, and the best pass's predictions are kept.
    @Test func patienceStopsAtTheFirstPassWithoutImprovement() throws {
        try LibTorch.setThreadCount(1)
        var config = try unsteadySettings()
        config.patience = 1
        let run = try temporaryRunFolder()
        let result = try FinetuneTraining.run(battles: markedBattles(64), settings: config, folds: 1, run: run, resume: false, device: .cpu)
        let passes = result.records.compactMap(\.validationLoss)
        let stop = try #require(passes.indices.dropFirst().first { passes[$0] >= passes[..<$0].min()! }, "every pass improved: the test needs one that does not")
        #expect(passes.count == stop + 1, "\(passes)")
        #expect(result.records.last?.validationLoss == passes[stop])
        #expect(result.records.count < 3 * 6)
        let best = passes[..<stop].min()!
        #expect(abs((result.metrics.steps?.first?.logLoss ?? 0) - best) < 1e-12)
    }

    /// ReduceLROnPlateau (S2): every step's rate is the schedule's times 0.5 for each time
    /// `patience` validation passes in a row brought no improvement, replayed from the history.
    @Test func plateauHalvesTheLearningRate() throws {
        try LibTorch.setThreadCount(1)
        var config = try unsteadySettings()
        config.plateauPatience = 1
        let run = try temporaryRunFolder()
        let result = try FinetuneTraining.run(battles: markedBattles(64), settings: config, folds: 1, run: run, resume: false, device: .cpu)
        var scale = 1.0
        var best = Double.infinity
        var reductions = 0
        for record in result.records {
            #expect(abs(record.learningRate - 0.02 * scale) < 1e-15, "step \(record.step): \(record.learningRate) vs \(0.02 * scale)")
            if let loss = record.validationLoss {
                if loss < best { best = loss } else { scale *= 0.5; reductions += 1 }
            }
        }
        #expect(reductions > 0, "no validation pass without improvement: the test needs one")
    }

    /// The library entry point: a committed run loaded by ``RunPredictor`` predicts what the
    /// run validated, several calls reusing the loaded models.
    @Test func runPredictorLoadsAFinishedRun() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        let battles = markedBattles(40)
        let run = try temporaryRunFolder()
        var config = settings(model: model)
        config.epochs = 1
        let result = try FinetuneTraining.run(battles: battles, settings: config, folds: 1, run: run, resume: false, device: .cpu)
        var runConfig = RunConfig(kind: .cross, data: "memory", rows: battles.count, folds: 1, seed: 4, createdAt: "now")
        try runConfig.setFinetuneSettings(config)
        try run.writeJSON(result.artifact, to: "model.json")
        FinetuneTraining.removeCheckpoints(folds: 1, run: run)
        try run.commit(config: runConfig)
        defer { try? FileManager.default.removeItem(atPath: run.path) }
        let predictor = try RunPredictor(runPath: run.path)
        #expect(try predictor.config.finetuneSettings() == config)
        for _ in 0..<2 {
            let predicted = try predictor.predict(result.validatedBattles, batchSize: 3)
            for (row, expected) in zip(predicted, result.predictions) {
                for k in 0..<3 { #expect(abs(row[k] - expected[k]) < 1e-6) }
            }
        }
        #expect(try predictor.predict([]).isEmpty)
        try FileManager.default.removeItem(atPath: run.path + "/fold-0.safetensors")
        #expect(throws: RunError.self) { try RunPredictor(runPath: run.path) }
    }

    /// Gradient accumulation: batches of 4 accumulated twice train exactly as batches of 8 (the
    /// same rows per optimizer step, the same mean loss), up to float rounding.
    @Test func accumulatedMicroBatchesEqualOneBatch() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make(dropout: 0)
        let battles = markedBattles(52)
        var whole = settings(model: model)
        whole.epochs = 2
        let wholeRun = try temporaryRunFolder()
        let expected = try FinetuneTraining.run(battles: battles, settings: whole, folds: 1, run: wholeRun, resume: false, device: .cpu)
        var accumulated = whole
        accumulated.batchSize = 4
        accumulated.accumulation = 2
        let accumulatedRun = try temporaryRunFolder()
        let result = try FinetuneTraining.run(
            battles: battles, settings: accumulated, folds: 1, run: accumulatedRun, resume: false, device: .cpu)
        #expect(result.records.count == expected.records.count && expected.records.count == 2 * 5)
        for (a, b) in zip(result.records, expected.records) {
            #expect(a.learningRate == b.learningRate)
            #expect(abs(a.trainingLoss - b.trainingLoss) < 1e-5, "step \(a.step): \(a.trainingLoss) vs \(b.trainingLoss)")
        }
        let a = try SafetensorsFile(path: wholeRun.file("fold-0.safetensors"))
        let b = try SafetensorsFile(path: accumulatedRun.file("fold-0.safetensors"))
        for name in a.names {
            let difference = zip(try a.tensor(name).floats(), try b.tensor(name).floats()).map { abs($0 - $1) }.max() ?? 0
            #expect(difference < 1e-5, "\(name) differs by \(difference)")
        }
        var bad = whole
        bad.accumulation = 0
        #expect(throws: TrainingError.setting(name: "accumulation", problem: "must be in 1...1048576 (got 0)")) { try bad.validate() }
    }

    /// A fold stopped after step 5 and resumed from its saved state ends with the same
    /// weights, history and predictions as a fold trained without a stop.
    @Test func resumedFoldEqualsUninterruptedFold() throws {
        try LibTorch.setThreadCount(1)
        let model = try TinyBert.make()
        let battles = markedBattles(64)
        var config = settings(model: model)
        config.epochs = 2
        config.evaluationsPerEpoch = 2
        config.headDropout = 0.2

        let straight = try temporaryRunFolder()
        let expected = try FinetuneTraining.run(battles: battles, settings: config, folds: 2, run: straight, resume: false, device: .cpu)

        let stopped = try temporaryRunFolder()
        #expect(throws: FinetuneInterrupted.self) {
            try FinetuneTraining.run(
                battles: battles, settings: config, folds: 2, run: stopped, resume: false, device: .cpu,
                shouldStop: { fold, step in fold == 1 && step == 5 })
        }
        #expect(FileManager.default.fileExists(atPath: stopped.file("fold-0.outcome.json")))
        #expect(FileManager.default.fileExists(atPath: stopped.file("fold-1.state/state.json")))
        var resumedFolds: [String] = []
        let resumed = try FinetuneTraining.run(
            battles: battles, settings: config, folds: 2, run: stopped, resume: true, device: .cpu, log: { resumedFolds.append($0) })
        #expect(resumedFolds.contains { $0.contains("fold 1/2: finished earlier") })
        func untimed(_ records: [StepRecord]) -> [StepRecord] { records.map { var r = $0; r.seconds = nil; return r } }
        #expect(untimed(resumed.records) == untimed(expected.records))
        #expect(resumed.predictions == expected.predictions)
        let a = try SafetensorsFile(path: straight.file("fold-1.safetensors"))
        let b = try SafetensorsFile(path: stopped.file("fold-1.safetensors"))
        for name in a.names { #expect(try a.tensor(name).floats() == b.tensor(name).floats(), "\(name)") }
    }

    /// A state folder half swapped in (killed between the two renames) is still found.
    @Test func interruptedStateSwapIsRecovered() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + ".old", withIntermediateDirectories: true)
        let state = FoldState(
            fold: 0, step: 7, bestStep: 4, bestLoss: 0.9, bestPredictions: [[0.2, 0.3, 0.5]], evaluationsWithoutImprovement: 1,
            records: [], evaluations: [0.9, 1.0], seconds: 3)
        try RunFolder.writeJSON(state, path: folder + ".old/state.json")
        let recovered = try #require(try FoldTrainer.readState(folder: folder))
        #expect(recovered.step == 7 && recovered.bestLoss == 0.9)
        #expect(FileManager.default.fileExists(atPath: folder + "/state.json"))
        #expect(try FoldTrainer.readState(folder: folder + "-none") == nil)
    }
}

@Suite struct BattleEncoderTests {
    func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(tokens: TinyBert.vocabulary)
    }

    /// [CLS] [PROMPT] p [RESPONSE_A] a [RESPONSE_B] b [SEP] with the markers after the vocabulary
    /// and [TURN] between turns; swapping exchanges the responses.
    @Test func crossSequenceLayout() throws {
        let tokenizer = try tokenizer()
        let encoder = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 64, turns: .all)
        let n = TinyBert.vocabulary.count
        #expect(encoder.markers == ["[PROMPT]": n, "[RESPONSE_A]": n + 1, "[RESPONSE_B]": n + 2, "[TURN]": n + 3])
        #expect(encoder.vocabularySize == n + 4)
        let battle = Battle(id: "1", prompt: ["ab", "c"], responseA: ["d", "e"], responseB: ["f", "g"], winner: .modelA)
        func id(_ token: String) -> Int { tokenizer.id(of: token) ?? -1 }
        let expected = [id("[CLS]"), n, id("a"), id("##b"), n + 3, id("c"), n + 1, id("d"), n + 3, id("e"), n + 2, id("f"), n + 3, id("g"), id("[SEP]")]
        #expect(try encoder.encode(battle).sequences == [expected])
        let swapped = try encoder.encode(battle, swapped: true).sequences[0]
        #expect(Array(swapped[7...9]) == [id("f"), n + 3, id("g")])
        let firstOnly = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 64, turns: .first)
        #expect(try firstOnly.encode(battle).sequences == [[id("[CLS]"), n, id("a"), id("##b"), n + 1, id("d"), n + 2, id("f"), id("[SEP]")]])
    }

    /// Too long: the budget (max length - 5) is shared; the prompt keeps its end, the responses
    /// their beginning.
    @Test func crossTruncationSharesTheBudget() throws {
        let tokenizer = try tokenizer()
        let encoder = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 11, turns: .first)
        let battle = Battle(id: "1", prompt: ["a b c d e"], responseA: ["f g h"], responseB: ["i"], winner: .tie)
        let ids = try encoder.encode(battle).sequences[0]
        #expect(ids.count == 11)
        let n = TinyBert.vocabulary.count
        func id(_ token: String) -> Int { tokenizer.id(of: token) ?? -1 }
        // budget 6: shares 3, 2, 1 (i fits; the 5 left go 3 to the prompt and 2 to A)
        #expect(ids == [id("[CLS]"), n, id("c"), id("d"), id("e"), n + 1, id("f"), id("g"), n + 2, id("i"), id("[SEP]")])
        #expect(BattleEncoder.shares(lengths: [10, 2, 10], budget: 12) == [5, 2, 5])
        #expect(BattleEncoder.shares(lengths: [1, 1, 1], budget: 12) == [1, 1, 1])
        #expect(BattleEncoder.shares(lengths: [0, 9, 9], budget: 7) == [0, 4, 3])
        #expect(BattleEncoder.shares(lengths: [5, 5, 5], budget: 0) == [0, 0, 0])
    }

    /// A decoder's battle (``CrossLayout/chat(prefix:)``): the prefix, "# Prompt\n" p
    /// "\n\n# Response A\n" a "\n\n# Response B\n" b "\n\n# Which response is better?", each
    /// header in the model's own tokens, turns joined by "\n\n", no marker tokens added.
    @Test func chatLayoutForDecoders() throws {
        let tokenizer = try tokenizer()
        let encoder = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 64, turns: .all, crossLayout: .chat(prefix: [7]))
        #expect(encoder.markers.isEmpty && encoder.vocabularySize == tokenizer.vocabularySize)
        let battle = Battle(id: "1", prompt: ["ab", "c"], responseA: ["d", "e"], responseB: ["f", "g"], winner: .modelA)
        func ids(_ text: String) throws -> [Int] { try tokenizer.tokenize(text) }
        let separator = try ids("\n\n")
        #expect(separator.isEmpty, "WordPiece drops whitespace, so turns meet directly")
        let expected = try [7] + ids("# Prompt\n") + ids("ab") + separator + ids("c") + ids("\n\n# Response A\n") + ids("d") + ids("e")
            + ids("\n\n# Response B\n") + ids("f") + ids("g") + ids("\n\n# Which response is better?")
        #expect(try encoder.encode(battle).sequences == [expected])
        let swapped = try encoder.encode(battle, swapped: true).sequences[0]
        #expect(swapped == (try [7] + ids("# Prompt\n") + ids("ab") + ids("c") + ids("\n\n# Response A\n") + ids("f") + ids("g")
            + ids("\n\n# Response B\n") + ids("d") + ids("e") + ids("\n\n# Which response is better?")))

        // Too long: the fixed pieces stay whole, the three parts share the rest (6 ids: 3, 2, 1 by
        // water-filling); the prompt keeps its end, the responses their beginning, and the
        // closing question ends every sequence.
        let fixed = try 1 + ids("# Prompt\n").count + ids("\n\n# Response A\n").count + ids("\n\n# Response B\n").count
            + ids("\n\n# Which response is better?").count
        let short = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: fixed + 6, turns: .first, crossLayout: .chat(prefix: [7]))
        let long = Battle(id: "2", prompt: ["a b c d e"], responseA: ["f g h"], responseB: ["i"], winner: .tie)
        let cut = try short.encode(long).sequences[0]
        #expect(cut.count == fixed + 6)
        #expect(cut == (try [7] + ids("# Prompt\n") + ids("c d e") + ids("\n\n# Response A\n") + ids("f g")
            + ids("\n\n# Response B\n") + ids("i") + ids("\n\n# Which response is better?")))

        // A length the fixed pieces do not leave room in is refused, naming both numbers.
        let error = #expect(throws: TrainingError.self) {
            _ = try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: fixed + 2, turns: .all, crossLayout: .chat(prefix: [7]))
        }
        #expect(error?.description.contains("take \(fixed) tokens") == true)
        #expect(error?.description.contains("at least \(fixed + 3)") == true)
    }

    /// S2's clean-up and the [SEP] pair format.
    @Test func cleanupAndSepFormat() throws {
        #expect(BattleEncoder.cleanUp("  Héllo\n\n  wörld\t!  ") == "Hllo wrld !")
        #expect(BattleEncoder.cleanUp("日本") == "")
        let tokenizer = try tokenizer()
        let encoder = try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 12, turns: .first, pairFormat: .sep, textCleanup: true)
        let battle = Battle(id: "1", prompt: ["what   is\nit"], responseA: ["a é b"], responseB: ["no"], winner: .modelB)
        let sides = try encoder.encode(battle).sequences
        #expect(sides[0] == (try tokenizer.encode("what is it", pair: "a b", maxLength: 12).ids))
        #expect(sides[1] == (try tokenizer.encode("what is it", pair: "no", maxLength: 12).ids))
        #expect(sides[0].count == 12)
    }

    /// S3's statistics: standardised with the training mean and deviation, both sides alike,
    /// exchanged in the swapped view.
    @Test func featureScaling() throws {
        let battles = markedBattles(20)
        let scaling = FeatureScaling.fit(battles)
        let raw = battles.flatMap(FeatureScaling.rawSides(of:))
        for k in 0..<FeatureScaling.count {
            let values = raw.map { $0[k] }
            let mean = values.reduce(0, +) / Double(values.count)
            #expect(abs(scaling.mean[k] - mean) < 1e-9)
        }
        let encoder = try BattleEncoder(tokenizer: try tokenizer(), architecture: .pair, maxLength: 64, turns: .first, featureScaling: scaling)
        let direct = try encoder.encode(battles[3])
        let swapped = try encoder.encode(battles[3], swapped: true)
        #expect(direct.features?.count == 2 && direct.features?[0].count == 14)
        #expect(swapped.features?[0] == direct.features?[1] && swapped.features?[1] == direct.features?[0])
        let standardised = try #require(direct.features?[0])
        let expected = (0..<14).map { Float((FeatureScaling.rawSides(of: battles[3])[0][$0] - scaling.mean[$0]) / scaling.standardDeviation[$0]) }
        #expect(standardised == expected)
    }

    /// pair: "Prompt: p\n\nResponse: r" per side, cut on the right.
    @Test func pairTexts() throws {
        let tokenizer = try tokenizer()
        let encoder = try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 128, turns: .first)
        #expect(encoder.markers.isEmpty && encoder.vocabularySize == TinyBert.vocabulary.count)
        let battle = Battle(id: "1", prompt: ["hi", "more"], responseA: ["yo"], responseB: ["no"], winner: .modelB)
        let sides = try encoder.encode(battle).sequences
        #expect(sides[0] == (try tokenizer.encode("Prompt: hi\n\nResponse: yo").ids))
        #expect(sides[1] == (try tokenizer.encode("Prompt: hi\n\nResponse: no").ids))
        let all = try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 128, turns: .all)
        #expect(try all.encode(battle).sequences[0] == (try tokenizer.encode("Prompt: hi\n\nResponse: yo\n\nPrompt: more\n\nResponse: ").ids))
        let short = try BattleEncoder(tokenizer: tokenizer, architecture: .pair, maxLength: 5, turns: .first)
        #expect(try short.encode(battle).sequences[0] == (try tokenizer.encode("Prompt: hi\n\nResponse: yo", maxLength: 5).ids))
        #expect(throws: TrainingError.self) { try BattleEncoder(tokenizer: tokenizer, architecture: .cross, maxLength: 7, turns: .first) }
    }
}

@Suite struct LearningRateScheduleTests {
    /// transformers' schedules, by hand: warm-up 2 of 10 steps, peak 1.
    @Test func matchesTransformersFormulas() {
        let linear = LearningRateSchedule(peak: 1, warmupSteps: 2, totalSteps: 10, shape: .linear)
        #expect((0..<11).map(linear.rate(at:)) == [0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0])
        let cosine = LearningRateSchedule(peak: 2, warmupSteps: 2, totalSteps: 10, shape: .cosine)
        #expect(cosine.rate(at: 1) == 1)
        #expect(abs(cosine.rate(at: 6) - 1) < 1e-12)  // half way: cos(pi/2)
        #expect(abs(cosine.rate(at: 4) - (1 + cos(Double.pi / 4))) < 1e-12)
        #expect(cosine.rate(at: 10) == 0)
        let constant = LearningRateSchedule(peak: 3, warmupSteps: 3, totalSteps: 10, shape: .constant)
        #expect([0, 1, 2, 3, 9].map(constant.rate(at:)) == [0, 1, 2, 3, 3])
        let noWarmup = LearningRateSchedule(peak: 1, warmupSteps: 0, totalSteps: 4, shape: .linear)
        #expect((0..<4).map(noWarmup.rate(at:)) == [1, 0.75, 0.5, 0.25])
    }

    /// Settings round-trip through the run folder's JSON (nil options stay nil), and settings
    /// written before a field existed load with that field's default.
    @Test func settingsRoundTripAndOlderFilesLoad() throws {
        var settings = FinetuneSettings(architecture: .pair, model: "models/x", numericFeatures: NumericFeatureHead(count: 14), accumulation: 3)
        settings.clipNorm = nil
        settings.patience = 2
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-settings-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try RunFolder.writeJSON(settings, path: path)
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        #expect(try RunFolder.readJSON(FinetuneSettings.self, runPath: folder, name: name) == settings)
        try #"{"architecture": "cross", "model": "m", "batch_size": 4, "clip_norm": 0.5}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let old = try RunFolder.readJSON(FinetuneSettings.self, runPath: folder, name: name)
        #expect(old.batchSize == 4 && old.clipNorm == 0.5 && old.accumulation == 1 && old.maxLength == 256 && old.patience == nil)
        try #"{"model": "m"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: RunError.self) { try RunFolder.readJSON(FinetuneSettings.self, runPath: folder, name: name) }
    }

    @Test func settingsAreChecked() {
        var settings = FinetuneSettings(architecture: .cross, model: "m")
        #expect(throws: Never.self) { try settings.validate() }
        settings.learningRate = 0
        #expect(throws: TrainingError.setting(name: "learningRate", problem: "must be positive (got 0.0)")) { try settings.validate() }
        // The library names the field as run files do, not a command-line option.
        #expect("\(TrainingError.setting(name: "learningRate", problem: "must be positive (got 0.0)"))" == "learning_rate must be positive (got 0.0)")
        settings.learningRate = 1e-5
        settings.warmupFraction = 1
        #expect(throws: TrainingError.self) { try settings.validate() }
        var features = FinetuneSettings(architecture: .pair, model: "m", numericFeatures: NumericFeatureHead(count: 13))
        #expect(throws: TrainingError.self) { try features.validate() }
        features.numericFeatures = NumericFeatureHead(count: FeatureScaling.count)
        #expect(throws: Never.self) { try features.validate() }
    }
}

@Suite struct BlendingTests {
    /// The fitted weights minimise the blend's log loss on the simplex: a clearly better model
    /// takes almost all the weight, two equal models share it, and the blend is never worse
    /// than its best member.
    @Test func weightsMinimiseTheBlendLogLoss() throws {
        var random = SeededRandom(seed: 11)
        let labels = (0..<200).map { _ in random.nextInt(below: 3) }
        let good = labels.map { label in WinnerProbabilities { $0.rawValue == label ? 0.8 : 0.1 } }
        let uniform = labels.map { _ in WinnerProbabilities.uniform }
        let weights = try Ensemble.fitWeights([uniform, good], labels: labels)
        #expect(weights[1] > 0.99 && abs(weights.reduce(0, +) - 1) < 1e-12, "\(weights)")
        let same = try Ensemble.fitWeights([good, good], labels: labels)
        #expect(abs(same[0] - 0.5) < 1e-9)

        func noisy() -> [WinnerProbabilities] {
            labels.map { label in
                let raw = WinnerProbabilities { ($0.rawValue == label ? 0.6 : 0.2) + 0.5 * random.nextUnit() }
                let total = raw.reduce(0, +)
                return raw.mapValues { $0 / total }
            }
        }
        let members = [noisy(), noisy(), noisy()]
        let fitted = try Ensemble.fitWeights(members, labels: labels)
        let blended = try Metrics.logLoss(probabilities: Ensemble.weightedMean(members, weights: fitted), labels: labels)
        for member in members { #expect(blended <= (try Metrics.logLoss(probabilities: member, labels: labels)) + 1e-12) }
        // No nearby point of the simplex does better.
        for (i, j) in [(0, 1), (1, 2), (0, 2)] {
            var moved = fitted
            let step = min(0.01, moved[i])
            moved[i] -= step
            moved[j] += step
            #expect(blended <= (try Metrics.logLoss(probabilities: Ensemble.weightedMean(members, weights: moved), labels: labels)) + 1e-9)
        }
    }
}
