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
    var pooling: Pooling = .mean

    @Flag(help: "Do not scale embeddings to unit length.")
    var noNormalize = false

    @OptionGroup var libtorch: LibTorchOptions

    @Option(help: "float32, or bfloat16 / float16 autocast (mixed precision; bfloat16 on the CPU).")
    var precision: Precision = .float32

    @Flag(help: "Continue from OUT.partial.safetensors, the checkpoint an interrupted run left (same model, data and settings).")
    var resume = false

    @Option(help: "Seconds between checkpoints of finished embeddings (OUT.partial.safetensors).")
    var checkpointSeconds = 60.0

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard maxLength >= 3 else { throw ValidationError("--max-length must be at least 3 (two special tokens and one more)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
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
        let device = try libtorch.prepare()
        RuntimeWarnings.log(logger, bfloat16: precision == .bfloat16)
        let embedder = try BattleEmbedder(
            model: model,
            settings: .init(
                maxLength: maxLength, batchSize: batchSize, pooling: pooling, normalize: !noNormalize, precision: precision,
                device: device))
        let report = embedder.loadReport
        logger.info("\(model): \(embedder.folder.modelType), \(report.loaded.count) tensors loaded\(report.unused.isEmpty ? "" : ", unused: \(report.unused.joined(separator: ", "))")")
        let battles = try DataLoading.prediction(path: data, logger: logger)
        let summary: BattleEmbedder.Summary
        do {
            summary = try embedder.embed(battles, to: out, resume: resume, checkpointSeconds: checkpointSeconds, log: { logger.info("\($0)") })
        } catch let error as EmbeddingError {
            throw ValidationError("--resume: \(error)")
        }
        logger.info("wrote \(summary.battles) x 3 embeddings of \(summary.width) to \(out) in \(String(format: "%.2f", summary.seconds)) s (\(Int(Double(summary.tokens) / Swift.max(summary.seconds, 1e-9))) tokens/s)")
    }
}

extension Pooling: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
