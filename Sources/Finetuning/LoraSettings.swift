// LoRA fine-tuning (the way the competition's winners trained Gemma-2 / Llama-3 classifiers):
// the pretrained decoder frozen (bfloat16 by default), LoRA adapters on its projections and the
// `score` head trained in float32 (Sources/Models/LoRA, docs/LORA.md). Saved in the run's
// config.json; each fold's adapters are also written as a peft adapter folder.
import Models
import Prediction
import Torch

/// How a run trains with LoRA (``FinetuneSettings/lora``).
public struct LoraSettings: Codable, Sendable, Equatable {
    /// peft's `r`.
    public var rank: Int
    /// peft's `lora_alpha`: the adapters' output is scaled by alpha / rank (alpha / sqrt(rank) with `rslora`).
    public var alpha: Double
    /// peft's `lora_dropout`, on each adapter's input.
    public var dropout: Double
    /// peft's `target_modules`: Linear modules whose name is one of these or ends in "." + one.
    public var targets: [String]
    /// peft's `use_rslora`.
    public var rslora: Bool
    /// The type the frozen base's weights are kept in: bfloat16 (half the memory) or float32.
    public var base: Precision
    /// Also write each fold's merged model (`fold-K.merged`), a plain `*ForSequenceClassification`
    /// folder transformers loads without peft.
    public var exportMerged: Bool = false

    /// Every projection of a Llama / Qwen2 / Gemma decoder layer, as the winning solutions targeted.
    public static let decoderProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    public init(rank: Int = 16, alpha: Double = 32, dropout: Double = 0.05, targets: [String] = LoraSettings.decoderProjections,
                rslora: Bool = false, base: Precision = .bfloat16, exportMerged: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.rslora = rslora
        self.base = base
        self.exportMerged = exportMerged
    }

    enum CodingKeys: String, CodingKey { case rank, alpha, dropout, targets, rslora, base, exportMerged }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rank: try c.decode(Int.self, forKey: .rank), alpha: try c.decode(Double.self, forKey: .alpha),
                  dropout: try c.decode(Double.self, forKey: .dropout), targets: try c.decode([String].self, forKey: .targets),
                  rslora: try c.decode(Bool.self, forKey: .rslora), base: try c.decode(Precision.self, forKey: .base),
                  exportMerged: try c.decodeIfPresent(Bool.self, forKey: .exportMerged) ?? false)
    }

    /// The adapter plan for a 3-way sequence classifier (peft's SEQ_CLS: `score` / `classifier` saved whole).
    public var config: LoraConfig {
        .sequenceClassification(r: rank, loraAlpha: alpha, loraDropout: dropout, targetModules: .names(targets), useRslora: rslora)
    }

    /// The frozen base's dtype.
    public var baseDType: DType {
        switch base {
        case .float32: return .float32
        case .bfloat16: return .bfloat16
        case .float16: return .float16
        }
    }

    func validate() throws(TrainingError) {
        func require(_ condition: Bool, _ name: String, _ problem: String) throws(TrainingError) {
            if !condition { throw TrainingError.setting(name: "lora." + name, problem: problem) }
        }
        try require(rank >= 1 && rank <= 65_536, "rank", "must be in 1...65536 (got \(rank))")
        try require(alpha > 0 && alpha.isFinite, "alpha", "must be a positive number (got \(alpha))")
        try require((0..<1).contains(dropout), "dropout", "must be in [0, 1) (got \(dropout))")
        try require(!targets.isEmpty && targets.allSatisfy { !$0.isEmpty }, "targets", "must name at least one module, none empty")
    }
}
