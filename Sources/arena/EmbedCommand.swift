import ArenaData
import ArgumentParser
import FeatureModels
import Finetuning
import Foundation
import Models
import Pipelines
import Prediction
import Runs
import Tokenizers
import Torch

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Pooled embeddings of the prompt and of each response with a Hugging Face encoder.",
        discussion: """
            Writes a safetensors file with float32 tensors prompt, response_a and response_b \
            ([rows, hidden], in input order) and, when every id is an integer, an int64 tensor id; \
            the ids, model and settings are also in its metadata. Texts are the turns joined by \
            blank lines, cut to --max-length tokens, and batched by length (sorted buckets) so \
            that little padding is computed.
            """
    )

    @Option(help: "A Hugging Face model folder (config.json, model.safetensors or pytorch_model.bin, tokenizer files).")
    var model: String

    @Option(help: "Battles to embed (Kaggle train.csv or test.csv schema, or .jsonl).")
    var data: String

    @Option(help: "The safetensors file to write.")
    var out: String

    @Option(help: "Tokens per text, special tokens included.")
    var maxLength = 256

    @Option(help: "Texts per batch.")
    var batchSize = 32

    @Option(help: "mean (over real tokens) or first (the [CLS] state).")
    var pooling: String = "mean"

    @Flag(help: "Do not scale embeddings to unit length.")
    var noNormalize = false

    @Option(help: "libtorch threads (default: libtorch's choice).")
    var threads: Int?

    @Option(help: "cpu, cuda, cuda:N or best.")
    var device = "cpu"

    @Option(help: "float32, or bfloat16 / float16 autocast (mixed precision; bfloat16 on the CPU).")
    var precision = "float32"

    @Flag(help: "Continue from OUT.partial.safetensors, the checkpoint an interrupted run left (same model, data and settings).")
    var resume = false

    @Option(help: "Seconds between checkpoints of finished embeddings (OUT.partial.safetensors).")
    var checkpointSeconds = 60.0

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard maxLength >= 3 else { throw ValidationError("--max-length must be at least 3 (two special tokens and one more)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard Pooling(rawValue: pooling) != nil else { throw ValidationError("--pooling must be mean or first, not \(pooling)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard ["float32", "bfloat16", "float16"].contains(precision) else {
            throw ValidationError("--precision must be float32, bfloat16 or float16, not \(precision)")
        }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
        guard checkpointSeconds >= 0 else { throw ValidationError("--checkpoint-seconds must not be negative") }
    }

    func run() throws {
        let logger = global.makeLogger("embed")
        // Refuse a bad output before any work; write through a symbolic link to its target.
        let out = try OutputPath.resolve(self.out, inputs: [data] + OutputPath.files(in: model))
        _ = try OutputPath.resolve(out + ".partial.safetensors", inputs: [data])
        // One writer of an output and its checkpoint at a time (released when the command ends).
        let lock = try RunLock.acquire(forRun: out)
        defer { lock.release() }
        LibTorch.keepFreedMemory()
        if let threads { try LibTorch.setThreadCount(threads) }
        RuntimeWarnings.log(logger, bfloat16: precision == "bfloat16")
        let device = try DeviceOption.resolve(self.device)
        let pooling = Pooling(rawValue: pooling) ?? .mean
        let folder = try ModelFolder(path: model)
        try folder.checkSequenceLength(maxLength)
        let tokenizer = try TokenizerLoader.load(folder: model)
        let (encoder, report) = try EncoderLoader.load(folder, device: device)
        logger.info("\(model): \(folder.modelType), \(report.loaded.count) tensors loaded\(report.unused.isEmpty ? "" : ", unused: \(report.unused.joined(separator: ", "))")")
        let battles = try DataLoading.prediction(path: data, logger: logger)

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
        let batches = LengthBatching.batches(lengths: lengths, maxBatchSize: batchSize)
        logger.info("\(texts.count) texts, \(lengths.reduce(0, +)) tokens, \(batches.count) batches (padding \(String(format: "%.2f", LengthBatching.paddingRatio(lengths: lengths, batches: batches)))x)")

        let width = encoder.hiddenSize
        var vectors = [Float](repeating: 0, count: texts.count * width)
        var done = [Bool](repeating: false, count: texts.count)
        // What a checkpoint must match to be resumed: the texts, the model and every setting
        // that changes the vectors.
        var fingerprint = FNV1a.offsetBasis
        for text in texts { fingerprint = FNV1a.hash(text.utf8, basis: fingerprint); fingerprint = FNV1a.combine(fingerprint, 0) }
        let checkpointMetadata = [
            "texts_fnv1a": String(fingerprint, radix: 16), "model": model, "pooling": pooling.rawValue,
            "normalized": noNormalize ? "false" : "true", "max_length": String(maxLength), "precision": precision,
        ]
        let checkpointPath = out + ".partial.safetensors"
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointPath) else {
                throw ValidationError("--resume: no checkpoint \(checkpointPath) to resume from")
            }
            let checkpoint = try SafetensorsFile(path: checkpointPath)
            for (key, value) in checkpointMetadata where checkpoint.metadata[key] != value {
                throw ValidationError("--resume: \(checkpointPath) was written for \(key) \(checkpoint.metadata[key] ?? "(none)"), this run has \(value)")
            }
            let saved = try checkpoint.tensor("vectors").toArray(Float.self)
            let savedDone = try checkpoint.tensor("done").toArray(Bool.self)
            guard saved.count == vectors.count, savedDone.count == done.count else {
                throw ValidationError("--resume: \(checkpointPath) holds \(savedDone.count) texts of this width, this run has \(done.count)")
            }
            vectors = saved
            done = savedDone
            logger.info("resuming: \(done.filter { $0 }.count) of \(texts.count) texts already embedded in \(checkpointPath)")
        } else if FileManager.default.fileExists(atPath: checkpointPath) {
            logger.warning("\(checkpointPath) exists from an interrupted run: starting over (use --resume to continue it)")
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
        let autocastType: DType? = precision == "bfloat16" ? .bfloat16 : precision == "float16" ? .float16 : nil
        try withNoGrad { try withAutocast(device: device, dtype: autocastType ?? .bfloat16, enabled: autocastType != nil) {
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
                var pooled = try pooling(hidden, mask: mask)
                if !noNormalize { pooled = try l2Normalized(pooled) }
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
                    logger.info("\(doneTexts)/\(texts.count) texts, \(Int(Double(doneTokens) / Swift.max(seconds, 1e-9))) tokens/s")
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
        logger.info("wrote \(battles.count) x 3 embeddings of \(width) to \(out) in \(String(format: "%.2f", seconds)) s (\(Int(Double(doneTokens) / Swift.max(seconds, 1e-9))) tokens/s)")
    }
}
