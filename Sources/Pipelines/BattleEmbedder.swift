import ArenaData
import Finetuning
import Foundation
import Models
import Runs
import Tokenizers
import Torch

/// Why embedding could not resume.
public enum EmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Resuming was asked for and there is no checkpoint.
    case noCheckpoint(path: String)
    /// The checkpoint was written for another text set, model or setting (`field` as in its metadata).
    case checkpointMismatch(path: String, field: String, saved: String, now: String)
    /// The checkpoint holds another number of texts or another width.
    case checkpointShape(path: String, savedTexts: Int, texts: Int)

    public var description: String {
        switch self {
        case let .noCheckpoint(path): return "no checkpoint \(path) to resume from"
        case let .checkpointMismatch(path, field, saved, now): return "\(path) was written for \(field) \(saved), this run has \(now)"
        case let .checkpointShape(path, savedTexts, texts): return "\(path) holds \(savedTexts) texts of this width, this run has \(texts)"
        }
    }
}

/// Pooled embeddings of battles with a Hugging Face encoder (what `arena embed` does): the
/// prompt, response A and response B of each battle (turns joined by blank lines, cut to
/// `maxLength` tokens), batched by length, pooled, optionally L2-normalised, under autocast when
/// asked; checkpoints of finished texts let an interrupted job resume.
///
///     let embedder = try BattleEmbedder(model: "models/minilm", settings: .init())
///     let summary = try embedder.embed(battles, to: "embeddings.safetensors")
public final class BattleEmbedder {
    public struct Settings: Sendable {
        public var maxLength: Int
        public var batchSize: Int
        public var pooling: Pooling
        public var normalize: Bool
        public var precision: Precision
        public var device: Device

        public init(
            maxLength: Int = 256, batchSize: Int = 32, pooling: Pooling = .mean, normalize: Bool = true, precision: Precision = .float32,
            device: Device = .cpu
        ) {
            self.maxLength = maxLength
            self.batchSize = batchSize
            self.pooling = pooling
            self.normalize = normalize
            self.precision = precision
            self.device = device
        }
    }

    /// What one call embedded.
    public struct Summary: Sendable {
        public var battles: Int
        public var width: Int
        public var tokens: Int
        /// Tokenization and forward passes.
        public var seconds: Double
    }

    public let model: String
    public let settings: Settings
    public let folder: ModelFolder
    let tokenizer: any Tokenizer
    let encoder: any TextEncoderModel
    /// What loading the weights found (tensors loaded, unused).
    public let loadReport: WeightLoadReport

    /// Loads the model folder `model` (config.json, weights, tokenizer files).
    public init(model: String, settings: Settings) throws {
        self.model = model
        self.settings = settings
        folder = try ModelFolder(path: model)
        try folder.checkSequenceLength(settings.maxLength)
        tokenizer = try TokenizerLoader.load(folder: model)
        (encoder, loadReport) = try EncoderLoader.load(folder, device: settings.device)
    }

    /// Embeds `battles` into the safetensors file `out`: float32 tensors prompt, response_a and
    /// response_b ([rows, hidden], in input order), an int64 tensor id when every id is an
    /// integer, the ids, model and settings in the metadata. Finished texts are saved every
    /// `checkpointSeconds` in `out.partial.safetensors`; with `resume` they are taken from there.
    public func embed(
        _ battles: [Battle], to out: String, resume: Bool = false, checkpointSeconds: Double = 60, log: (String) -> Void = { _ in }
    ) throws -> Summary {
        let maxLength = settings.maxLength, device = settings.device
        // Every text once: prompt, response A, response B of each row.
        var texts: [String] = []
        texts.reserveCapacity(battles.count * 3)
        for battle in battles {
            texts.append(battle.prompt.joined(separator: "\n\n"))
            texts.append(battle.responseA.joined(separator: "\n\n"))
            texts.append(battle.responseB.joined(separator: "\n\n"))
        }
        // The clock covers tokenization and the forward passes (not reading the model and data).
        let started = Date()
        let encodings = try texts.map { try tokenizer.encode($0, maxLength: maxLength) }
        let lengths = encodings.map(\.count)
        let batches = LengthBatching.batches(lengths: lengths, maxBatchSize: settings.batchSize)
        log("\(texts.count) texts, \(lengths.reduce(0, +)) tokens, \(batches.count) batches (padding \(String(format: "%.2f", LengthBatching.paddingRatio(lengths: lengths, batches: batches)))x)")

        let width = encoder.hiddenSize
        var vectors = [Float](repeating: 0, count: texts.count * width)
        var done = [Bool](repeating: false, count: texts.count)
        // What a checkpoint must match to be resumed: the texts, the model and every setting
        // that changes the vectors.
        let checkpointMetadata = [
            "texts_fnv1a": Self.textsFingerprint(battles), "model": model, "pooling": settings.pooling.rawValue,
            "normalized": settings.normalize ? "true" : "false", "max_length": String(maxLength), "precision": settings.precision.rawValue,
        ]
        let checkpointPath = out + ".partial.safetensors"
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else { throw EmbeddingError.noCheckpoint(path: checkpointPath) }
            let checkpoint = try SafetensorsFile(path: checkpointPath)
            for (key, value) in checkpointMetadata.sorted(by: { $0.key < $1.key }) where checkpoint.metadata[key] != value {
                throw EmbeddingError.checkpointMismatch(path: checkpointPath, field: key, saved: checkpoint.metadata[key] ?? "(none)", now: value)
            }
            let saved = try checkpoint.tensor("vectors").toArray(Float.self)
            let savedDone = try checkpoint.tensor("done").toArray(Bool.self)
            guard saved.count == vectors.count, savedDone.count == done.count else {
                throw EmbeddingError.checkpointShape(path: checkpointPath, savedTexts: savedDone.count, texts: done.count)
            }
            vectors = saved
            done = savedDone
            log("resuming: \(done.filter { $0 }.count) of \(texts.count) texts already embedded in \(checkpointPath)")
        } else if FileManager.default.fileExists(atPath: checkpointPath) {
            log("warning: \(checkpointPath) exists from an interrupted run: starting over (use --resume to continue it)")
        }
        func writeCheckpoint() throws {
            try Safetensors.write([
                ("vectors", try Tensor(vectors, shape: [texts.count, width])),
                ("done", try Tensor(done, shape: [texts.count])),
            ], metadata: checkpointMetadata, to: checkpointPath)
        }
        var lastCheckpoint = Date()
        var lastReport = started
        var doneTexts = done.filter { $0 }.count
        var doneTokens = 0
        try withNoGrad { try settings.precision.autocast(on: device) {
            for sortedBatch in batches {
                // Texts a resumed checkpoint already holds are not embedded again.
                let batch = sortedBatch.filter { !done[$0] }
                if batch.isEmpty { continue }
                let padded = tokenizer.pad(batch.map { encodings[$0] })
                let length = padded.first?.count ?? 0
                let shape = [batch.count, length]
                let ids = try Tensor(padded.flatMap { $0.ids.map { Int64($0) } }, shape: shape).to(device)
                let mask = try Tensor(padded.flatMap { $0.attentionMask.map { Int64($0) } }, shape: shape).to(device)
                let types = try Tensor(padded.flatMap { $0.typeIDs.map { Int64($0) } }, shape: shape).to(device)
                let hidden = try encoder.hiddenStates(inputIDs: ids, attentionMask: mask, tokenTypeIDs: types).to(.float32)
                var pooled = try settings.pooling(hidden, mask: mask)
                if settings.normalize { pooled = try l2Normalized(pooled) }
                let values = try pooled.floats()
                for (row, index) in batch.enumerated() {
                    vectors.replaceSubrange((index * width)..<((index + 1) * width), with: values[(row * width)..<((row + 1) * width)])
                    done[index] = true
                }
                if Date().timeIntervalSince(lastCheckpoint) >= checkpointSeconds {
                    try writeCheckpoint()
                    lastCheckpoint = Date()
                }
                doneTexts += batch.count
                doneTokens += batch.reduce(0) { $0 + lengths[$1] }
                let now = Date()
                if now.timeIntervalSince(lastReport) >= 2 || doneTexts == texts.count {
                    let seconds = now.timeIntervalSince(started)
                    log("\(doneTexts)/\(texts.count) texts, \(Int(Double(doneTokens) / Swift.max(seconds, 1e-9))) tokens/s")
                    lastReport = now
                }
            }
        } }
        let seconds = Date().timeIntervalSince(started)

        func column(_ offset: Int) throws -> Tensor {
            var values = [Float]()
            values.reserveCapacity(battles.count * width)
            for row in 0..<battles.count {
                let index = row * 3 + offset
                values += vectors[(index * width)..<((index + 1) * width)]
            }
            return try Tensor(values, shape: [battles.count, width])
        }
        var tensors: [(name: String, tensor: Tensor)] = [
            ("prompt", try column(0)), ("response_a", try column(1)), ("response_b", try column(2)),
        ]
        let numericIDs = battles.compactMap { Int64($0.id) }
        if numericIDs.count == battles.count { tensors.append(("id", try Tensor(numericIDs, shape: [battles.count]))) }
        let idsJSON = String(decoding: try JSONEncoder().encode(battles.map(\.id)), as: UTF8.self)
        let metadata = checkpointMetadata.merging(["model_type": folder.modelType, "ids": idsJSON]) { current, _ in current }
        try Safetensors.write(tensors, metadata: metadata, to: out)
        try? FileManager.default.removeItem(atPath: checkpointPath)
        return Summary(battles: battles.count, width: width, tokens: doneTokens, seconds: seconds)
    }
}
