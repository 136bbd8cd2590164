// torch-step-benchmark: one training step of a BERT-style encoder (6 layers, 384 wide, 12 heads,
// feed-forward 1536, vocabulary 30522) with a 3-class head on the first token, cross-entropy,
// backward, AdamW with weight-decay groups, zero grad; driven from Swift through the Models and
// Torch modules. benchmarks/torch_step.py runs the same step with transformers' BertModel on the
// same libtorch; benchmarks/torch_step.sh runs both, interleaved, and prints the ratio.
//
//   torch-step-benchmark [--batch 8] [--length 128] [--layers 6] [--steps 20] [--warmup 3] [--threads 1] [--json]
import Foundation
import Models
import Torch

struct Options {
    var batch = 8
    var length = 128
    var layers = 6
    var steps = 20
    var warmup = 3
    var threads = 1
    var json = false

    init(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if argument == "--json" { json = true; continue }
            guard let text = iterator.next(), let value = Int(text), value > 0 else {
                throw TorchError.invalidArgument("\(argument) needs a positive integer")
            }
            switch argument {
            case "--batch": batch = value
            case "--length": length = value
            case "--layers": layers = value
            case "--steps": steps = value
            case "--warmup": warmup = value
            case "--threads": threads = value
            default: throw TorchError.invalidArgument("unknown option \(argument)")
            }
        }
    }
}

func run() throws {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    try LibTorch.setThreadCount(options.threads)
    var config = BertConfig()
    config.hiddenSize = 384
    config.numHiddenLayers = options.layers
    config.numAttentionHeads = 12
    config.intermediateSize = 1536
    let store = try ParameterStore(seed: 0)
    let encoder = try BertModel(config: config, store: store)
    let head = try Linear(store.root.child("classifier"), inputSize: 384, outputSize: 3)
    store.training = true
    let groups = ParameterGroup.decayGroups(named: store.parameters, learningRate: 2e-5, weightDecay: 0.01)
    let optimizer = try Optimizer(.adamW(), groups: groups)

    let generator = try Generator(seed: 1)
    let inputIDs = try Tensor.randint(0..<config.vocabSize, shape: [options.batch, options.length], generator: generator)
    // The last quarter of every other row is padding, as in a real batch.
    var mask = [Int64](repeating: 1, count: options.batch * options.length)
    for row in stride(from: 1, to: options.batch, by: 2) {
        for column in (options.length * 3 / 4)..<options.length { mask[row * options.length + column] = 0 }
    }
    let attentionMask = try Tensor(mask, shape: [options.batch, options.length])
    let labels = try Tensor.randint(0..<3, shape: [options.batch], generator: generator)

    var times: [Double] = []
    var losses: [Double] = []
    for step in 0..<(options.warmup + options.steps) {
        let start = DispatchTime.now().uptimeNanoseconds
        let hidden = try encoder(inputIDs: inputIDs, attentionMask: attentionMask)
        let logits = try head(hidden.select(dim: 1, index: 0))
        let loss = try logits.crossEntropy(target: labels)
        try loss.backward()
        try optimizer.step()
        try optimizer.zeroGrad()
        let value = try loss.item()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if step >= options.warmup {
            times.append(seconds)
            losses.append(value)
        }
    }
    let sorted = times.sorted()
    let median = sorted[sorted.count / 2]
    let mean = times.reduce(0, +) / Double(times.count)
    let tokens = Double(options.batch * options.length)
    if options.json {
        let lossText = losses.map { String(format: "%.6f", $0) }.joined(separator: ", ")
        print("{\"side\": \"swift\", \"median_s\": \(median), \"mean_s\": \(mean), \"tokens_per_s\": \(tokens / median), \"threads\": \(options.threads), \"losses\": [\(lossText)]}")
    } else {
        print(String(format: "swift: median %.3f s/step, mean %.3f s, %.0f tokens/s (%d threads)", median, mean, tokens / median, options.threads))
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("torch-step-benchmark: \(error)\n".utf8))
    exit(1)
}
