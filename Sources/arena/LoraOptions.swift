import ArgumentParser
import Finetuning

/// `arena finetune`'s LoRA and memory options (Sources/Finetuning/LoraSettings.swift).
struct LoraOptions: ParsableArguments {
    @Flag(help: "Train LoRA adapters on a frozen base (the way the competition's winners trained decoder LLMs): the adapters and the head train in float32, the base stays in --lora-base; each fold's adapters are also saved as a peft adapter folder (fold-K.adapter).")
    var lora = false

    @Option(help: "With --lora: the adapters' rank, peft's r (default 16).")
    var loraRank: Int?

    @Option(help: "With --lora: peft's lora_alpha; the adapters' output is scaled by alpha / rank (default 32).")
    var loraAlpha: Double?

    @Option(help: "With --lora: dropout on each adapter's input, peft's lora_dropout (default 0.05).")
    var loraDropout: Double?

    @Option(help: "With --lora: comma-separated Linear modules to adapt, peft's target_modules (default q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj).")
    var loraTargets: String?

    @Flag(help: "With --lora: scale by alpha / sqrt(rank) (peft's use_rslora).")
    var loraRslora = false

    @Option(help: "With --lora: the frozen base's weights, bfloat16 (half the memory; default) or float32 (on CUDA also float16).")
    var loraBase: Precision?

    @Flag(help: "With --lora: also write each fold's merged model (fold-K.merged: model.safetensors, config.json, tokenizer files), a *ForSequenceClassification folder transformers loads without peft.")
    var loraExportMerged = false

    @Flag(help: "Recompute each decoder layer in the backward pass instead of keeping its activations (less memory, about a third more compute; decoders).")
    var gradientCheckpointing = false

    func validate() throws {
        guard !lora else { return }
        let given = [("--lora-rank", loraRank != nil), ("--lora-alpha", loraAlpha != nil), ("--lora-dropout", loraDropout != nil),
                     ("--lora-targets", loraTargets != nil), ("--lora-rslora", loraRslora), ("--lora-base", loraBase != nil),
                     ("--lora-export-merged", loraExportMerged)]
        if let (name, _) = given.first(where: { $0.1 }) { throw ValidationError("\(name) needs --lora") }
    }

    /// Sets the LoRA fields of `settings`.
    func apply(to settings: inout FinetuneSettings) {
        if lora {
            let defaults = LoraSettings()
            let targets = loraTargets.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? defaults.targets
            settings.lora = LoraSettings(rank: loraRank ?? defaults.rank, alpha: loraAlpha ?? defaults.alpha, dropout: loraDropout ?? defaults.dropout,
                                         targets: targets, rslora: loraRslora, base: loraBase ?? defaults.base,
                                         exportMerged: loraExportMerged)
        }
        if gradientCheckpointing { settings.gradientCheckpointing = true }
    }

    /// The option of each settings field, for ``CommandLineErrors``.
    static let optionNames: [String: String] = [
        "lora.rank": "--lora-rank", "lora.alpha": "--lora-alpha", "lora.dropout": "--lora-dropout", "lora.targets": "--lora-targets",
        "lora.base": "--lora-base",
    ]
}
