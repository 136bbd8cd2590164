// torch-step-benchmark: one training step of a BERT-style post-LayerNorm encoder (6 layers, 384
// wide, 12 heads of 32, feed-forward 1536, vocabulary 30522, dropout 0.1) with a 3-class head on
// the first token, cross-entropy, backward, AdamW with weight-decay groups and zero grad, written
// with the Torch module's functional ops (Encoder.swift). benchmarks/torch_step.py is the same
// step, op for op, in PyTorch on the same libtorch; benchmarks/torch_step.sh runs both,
// interleaved, and prints the ratio.
//
//   torch-step-benchmark [--batch 8] [--length 128] [--layers 6] [--steps 20] [--warmup 3] [--threads 1] [--json]
//
// --json prints one line: median and mean seconds per step, tokens/s, the medians of the forward,
// backward and optimizer phases, minor page faults per step (and per phase), the loss of the first
// step and the losses of the timed steps.
//
// Seeds (the same in torch_step.py): parameters from Generator(seed: 0), inputs and labels from
// Generator(seed: 1), dropout from the global generator seeded with 2; both sides therefore
// start from the same weights and see the same batch and dropout masks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Torch

struct StepTimes {
    var forward: Double
    var backward: Double
    var optimizer: Double
    var total: Double
    /// Minor page faults of the step and of its phases: fresh pages the kernel had to map (and zero).
    var pageFaults: Int
    var forwardPageFaults: Int
    var backwardPageFaults: Int
    var optimizerPageFaults: Int
}

/// Minor page faults of this process so far (getrusage).
func minorPageFaults() -> Int {
    var usage = rusage()
    #if canImport(Glibc)
    let who = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    let who = RUSAGE_SELF
    #endif
    guard getrusage(who, &usage) == 0 else { return 0 }
    return usage.ru_minflt
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}

/// The median (the mean of the two middle values for an even count), as Python's statistics.median.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// A Double as JSON (Python's json module writes NaN / Infinity, and reads them back).
func json(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
    return "\(value)"
}

/// `value` with `digits` decimals (no Foundation for String(format:)).
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (Swift.abs(value) * scale).rounded()
    guard scaled < 9e18 else { return "\(value)" }
    let whole = Int(scaled)
    let integer = whole / Int(scale)
    var fraction = String(whole % Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return (value < 0 && whole != 0 ? "-" : "") + "\(integer)" + (digits > 0 ? "." + fraction : "")
}

func writeError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.append(UInt8(ascii: "\n"))
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func run(_ options: Options) throws {
    try LibTorch.setThreadCount(options.threads)
    let batch = options.batch
    let length = options.length

    let encoder = try Encoder(layers: options.layers, seed: 0)
    let groups = ParameterGroup.decayGroups(named: encoder.parameters, learningRate: 2e-5, weightDecay: 0.01)
    let optimizer = try Optimizer(.adamW(), groups: groups)

    let generator = try Generator(seed: 1)
    let inputIDs = try Tensor.randint(0..<EncoderShape.vocabulary, shape: [batch, length], generator: generator)
    let labels = try Tensor.randint(0..<EncoderShape.classes, shape: [batch], generator: generator)
    // The last quarter of every other row is padding, as in a real batch.
    var mask = [Int64](repeating: 1, count: batch * length)
    for row in stride(from: 1, to: batch, by: 2) {
        for column in (length * 3 / 4)..<length { mask[row * length + column] = 0 }
    }
    let attentionMask = try Tensor(mask, shape: [batch, length])
    let positionIDs = try Tensor.arange(0, Double(length), dtype: .int64).view([1, length])
    try LibTorch.manualSeed(2)

    let clock = ContinuousClock()
    var times: [StepTimes] = []
    var losses: [Double] = []
    var firstLoss = Double.nan
    for step in 0..<(options.warmup + options.steps) {
        let faultsBefore = minorPageFaults()
        let start = clock.now
        let loss = try encoder.loss(inputIDs: inputIDs, positionIDs: positionIDs, attentionMask: attentionMask, labels: labels, batch: batch, length: length)
        let forwardDone = clock.now
        let faultsAfterForward = minorPageFaults()
        try loss.backward()
        let backwardDone = clock.now
        let faultsAfterBackward = minorPageFaults()
        try optimizer.step()
        try optimizer.zeroGrad(setToNone: true)
        let value = try loss.item()
        let end = clock.now
        let faultsAtEnd = minorPageFaults()
        if step == 0 { firstLoss = value }
        if step >= options.warmup {
            times.append(StepTimes(forward: seconds(forwardDone - start), backward: seconds(backwardDone - forwardDone),
                                   optimizer: seconds(end - backwardDone), total: seconds(end - start), pageFaults: faultsAtEnd - faultsBefore,
                                   forwardPageFaults: faultsAfterForward - faultsBefore,
                                   backwardPageFaults: faultsAfterBackward - faultsAfterForward,
                                   optimizerPageFaults: faultsAtEnd - faultsAfterBackward))
            losses.append(value)
        }
    }

    let stepMedian = median(times.map(\.total))
    let mean = times.map(\.total).reduce(0, +) / Double(times.count)
    let tokensPerSecond = Double(batch * length) / stepMedian
    if options.json {
        let fields = [
            "\"side\": \"swift\"", "\"libtorch\": \"\(LibTorch.version)\"",
            "\"batch\": \(batch)", "\"length\": \(length)", "\"layers\": \(options.layers)",
            "\"steps\": \(options.steps)", "\"warmup\": \(options.warmup)", "\"threads\": \(options.threads)",
            "\"median_s\": \(json(stepMedian))", "\"mean_s\": \(json(mean))", "\"tokens_per_s\": \(json(tokensPerSecond))",
            "\"forward_median_s\": \(json(median(times.map(\.forward))))",
            "\"backward_median_s\": \(json(median(times.map(\.backward))))",
            "\"optimizer_median_s\": \(json(median(times.map(\.optimizer))))",
            "\"page_faults_per_step\": \(median(times.map { Double($0.pageFaults) }))",
            "\"forward_page_faults\": \(median(times.map { Double($0.forwardPageFaults) }))",
            "\"backward_page_faults\": \(median(times.map { Double($0.backwardPageFaults) }))",
            "\"optimizer_page_faults\": \(median(times.map { Double($0.optimizerPageFaults) }))",
            "\"first_loss\": \(json(firstLoss))",
            "\"losses\": [\(losses.map(json).joined(separator: ", "))]",
        ]
        print("{" + fields.joined(separator: ", ") + "}")
    } else {
        print("swift: median \(fixed(stepMedian, 3)) s/step (forward \(fixed(median(times.map(\.forward)), 3)), "
            + "backward \(fixed(median(times.map(\.backward)), 3)), optimizer \(fixed(median(times.map(\.optimizer)), 3))), "
            + "mean \(fixed(mean, 3)) s, \(fixed(tokensPerSecond, 0)) tokens/s, \(options.threads) thread(s), "
            + "first loss \(fixed(firstLoss, 4))")
    }
}

do {
    try run(Options(arguments: Array(CommandLine.arguments.dropFirst())))
} catch {
    writeError("torch-step-benchmark: \(error)")
    exit(error is Options.UsageError ? 2 : 1)
}
