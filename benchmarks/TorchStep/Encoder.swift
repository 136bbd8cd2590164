// A BERT-style post-LayerNorm encoder with a 3-class head on the first token, written directly
// with the Torch module's functional ops, in the order Hugging Face's BertEmbeddings /
// BertLayer (eager attention) compute it. benchmarks/torch_step.py writes the same model with
// torch.nn.functional, op for op, and creates the parameters in the same order from the same
// seeded generator, so both sides start from identical weights.
import Torch

enum EncoderShape {
    static let vocabulary = 30522
    static let maxPositions = 512
    static let hidden = 384
    static let heads = 12
    static let headSize = 32
    static let intermediate = 1536
    static let classes = 3
    static let dropout = 0.1
    static let layerNormEps = 1e-12
    static let initStd = 0.02
}

/// Creates the parameters in a fixed order: weight matrices normal(0, 0.02) from one seeded
/// generator (randn * 0.02, as torch_step.py), biases zero, LayerNorm weights one.
final class ParameterFactory {
    private let generator: Generator
    private(set) var named: [(name: String, tensor: Tensor)] = []

    init(seed: UInt64) throws {
        generator = try Generator(seed: seed)
    }

    func normal(_ name: String, _ shape: [Int]) throws -> Tensor {
        try add(name, Tensor.randn(shape, generator: generator) * EncoderShape.initStd)
    }

    func zeros(_ name: String, _ shape: [Int]) throws -> Tensor {
        try add(name, Tensor.zeros(shape))
    }

    func ones(_ name: String, _ shape: [Int]) throws -> Tensor {
        try add(name, Tensor.ones(shape))
    }

    private func add(_ name: String, _ tensor: Tensor) throws -> Tensor {
        try tensor.requiringGrad()
        named.append((name, tensor))
        return tensor
    }
}

struct Dense {
    let weight: Tensor
    let bias: Tensor

    init(_ factory: ParameterFactory, _ name: String, input: Int, output: Int) throws {
        weight = try factory.normal("\(name).weight", [output, input])
        bias = try factory.zeros("\(name).bias", [output])
    }

    func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.linear(weight: weight, bias: bias)
    }
}

struct LayerNorm {
    let weight: Tensor
    let bias: Tensor

    init(_ factory: ParameterFactory, _ name: String) throws {
        weight = try factory.ones("\(name).weight", [EncoderShape.hidden])
        bias = try factory.zeros("\(name).bias", [EncoderShape.hidden])
    }

    func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.layerNorm(normalizedShape: [EncoderShape.hidden], weight: weight, bias: bias, eps: EncoderShape.layerNormEps)
    }
}

/// BertLayer: self-attention (BertSelfAttention + BertSelfOutput), then the feed-forward
/// (BertIntermediate + BertOutput), each closed by dropout, residual and LayerNorm.
struct EncoderLayer {
    let query, key, value, attentionOutput: Dense
    let attentionNorm: LayerNorm
    let intermediate, output: Dense
    let outputNorm: LayerNorm

    init(_ factory: ParameterFactory, _ prefix: String) throws {
        let width = EncoderShape.hidden
        query = try Dense(factory, "\(prefix).attention.self.query", input: width, output: width)
        key = try Dense(factory, "\(prefix).attention.self.key", input: width, output: width)
        value = try Dense(factory, "\(prefix).attention.self.value", input: width, output: width)
        attentionOutput = try Dense(factory, "\(prefix).attention.output.dense", input: width, output: width)
        attentionNorm = try LayerNorm(factory, "\(prefix).attention.output.LayerNorm")
        intermediate = try Dense(factory, "\(prefix).intermediate.dense", input: width, output: EncoderShape.intermediate)
        output = try Dense(factory, "\(prefix).output.dense", input: EncoderShape.intermediate, output: width)
        outputNorm = try LayerNorm(factory, "\(prefix).output.LayerNorm")
    }

    /// [batch, length, hidden] -> [batch, length, hidden]; `additiveMask` is [batch, 1, 1, length].
    func callAsFunction(_ hidden: Tensor, additiveMask: Tensor, batch: Int, length: Int) throws -> Tensor {
        func heads(_ projected: Tensor) throws -> Tensor {
            try projected.view([batch, length, EncoderShape.heads, EncoderShape.headSize]).permute([0, 2, 1, 3])
        }
        let q = try heads(query(hidden))
        let k = try heads(key(hidden))
        let v = try heads(value(hidden))
        var scores = try q.matmul(k.transpose(-1, -2))
        scores = try scores / Double(EncoderShape.headSize).squareRoot()
        scores = try scores + additiveMask
        var probabilities = try scores.softmax(dim: -1)
        probabilities = try probabilities.dropout(probability: EncoderShape.dropout, training: true)
        let context = try probabilities.matmul(v).permute([0, 2, 1, 3]).contiguous().view([batch, length, EncoderShape.hidden])
        let attended = try attentionOutput(context).dropout(probability: EncoderShape.dropout, training: true)
        let afterAttention = try attentionNorm(attended + hidden)

        let expanded = try intermediate(afterAttention).gelu()
        let contracted = try output(expanded).dropout(probability: EncoderShape.dropout, training: true)
        return try outputNorm(contracted + afterAttention)
    }
}

struct Encoder {
    let wordEmbeddings: Tensor
    let positionEmbeddings: Tensor
    let embeddingNorm: LayerNorm
    let layers: [EncoderLayer]
    let classifier: Dense
    /// Every parameter with its Hugging Face-style name, in creation order.
    let parameters: [(name: String, tensor: Tensor)]

    init(layers layerCount: Int, seed: UInt64) throws {
        let factory = try ParameterFactory(seed: seed)
        wordEmbeddings = try factory.normal("embeddings.word_embeddings.weight", [EncoderShape.vocabulary, EncoderShape.hidden])
        positionEmbeddings = try factory.normal("embeddings.position_embeddings.weight", [EncoderShape.maxPositions, EncoderShape.hidden])
        embeddingNorm = try LayerNorm(factory, "embeddings.LayerNorm")
        layers = try (0..<layerCount).map { try EncoderLayer(factory, "encoder.layer.\($0)") }
        classifier = try Dense(factory, "classifier", input: EncoderShape.hidden, output: EncoderShape.classes)
        parameters = factory.named
    }

    /// Mean cross-entropy of the head's logits on the first token. `positionIDs` is [1, length]
    /// int64, `attentionMask` [batch, length] int64 (1 = token, 0 = padding).
    func loss(inputIDs: Tensor, positionIDs: Tensor, attentionMask: Tensor, labels: Tensor, batch: Int, length: Int) throws -> Tensor {
        // Embeddings: word (padding index 0, as BERT's) + position, LayerNorm, dropout.
        let words = try Tensor.embedding(weight: wordEmbeddings, indices: inputIDs, paddingIndex: 0)
        let positions = try Tensor.embedding(weight: positionEmbeddings, indices: positionIDs)
        var hidden = try embeddingNorm(words + positions).dropout(probability: EncoderShape.dropout, training: true)

        // The extended attention mask of transformers: (1 - mask) * float32 min, [batch, 1, 1, length].
        let mask = try attentionMask.view([batch, 1, 1, length]).to(.float32)
        let additiveMask = try (1.0 - mask) * -Double(Float.greatestFiniteMagnitude)

        for layer in layers {
            hidden = try layer(hidden, additiveMask: additiveMask, batch: batch, length: length)
        }
        let logits = try classifier(hidden.select(dim: 1, index: 0))
        return try logits.crossEntropy(target: labels)
    }
}
