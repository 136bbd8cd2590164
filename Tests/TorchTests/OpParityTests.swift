import Foundation
import Testing
@testable import Torch

/// Cases written by tools/make_torch_fixtures.py with Debian's python3-torch 1.13, the libtorch
/// this package links: every op's output, and the gradient of sum_i (output_i * W_i).sum() with
/// respect to each float input.
private struct OpFixture: Decodable {
    struct Values: Decodable {
        let dtype: String
        let shape: [Int]
        let values: [Double]

        func tensor() throws -> Tensor {
            switch dtype {
            case "float32": return try Tensor(values.map { Float($0) }, shape: shape)
            case "float64": return try Tensor(values, shape: shape)
            case "int64": return try Tensor(values.map { Int64($0) }, shape: shape)
            case "bool": return try Tensor(values.map { $0 != 0 }, shape: shape)
            default: throw TorchError.invalidArgument("fixture dtype \(dtype)")
            }
        }
    }

    struct Case: Decodable {
        let name: String
        let inputs: [Values]
        let outputs: [Values]
        let weights: [Values?]
        let grads: [Values?]
    }

    let cases: [Case]

    nonisolated(unsafe) static let shared: Result<OpFixture, Error> = Result {
        guard let url = Bundle.module.url(forResource: "ops", withExtension: "json", subdirectory: "Fixtures") else {
            throw TorchError.invalidArgument("Fixtures/ops.json is missing")
        }
        return try JSONDecoder().decode(OpFixture.self, from: Data(contentsOf: url))
    }
}

private typealias Op = @Sendable ([Tensor]) throws -> [Tensor]

private func one(_ body: @escaping @Sendable ([Tensor]) throws -> Tensor) -> Op { { [try body($0)] } }

/// The Swift side of every case, by name.
private let ops: [String: Op] = [
    "matmul_2d": one { try $0[0].matmul($0[1]) },
    "matmul_batched": one { try $0[0].matmul($0[1]) },
    "matmul_broadcast": one { try $0[0].matmul($0[1]) },
    "bmm": one { try $0[0].bmm($0[1]) },
    "linear_bias": one { try $0[0].linear(weight: $0[1], bias: $0[2]) },
    "linear_no_bias": one { try $0[0].linear(weight: $0[1]) },
    "add_broadcast": one { try $0[0] + $0[1] },
    "sub_broadcast": one { try $0[0] - $0[1] },
    "mul_broadcast": one { try $0[0] * $0[1] },
    "div_broadcast": one { try $0[0] / $0[1] },
    "add_scalar": one { try $0[0] + 2.5 },
    "sub_scalar": one { try $0[0] - 2.5 },
    "mul_scalar": one { try $0[0] * 2.5 },
    "div_scalar": one { try $0[0] / 2.5 },
    "scalar_sub": one { try 2 - $0[0] },
    "scalar_div": one { try 2 / $0[0] },
    "scalar_add": one { try 1.5 + $0[0] },
    "scalar_mul": one { try 3 * $0[0] },
    "negate": one { try -$0[0] },
    "pow_scalar": one { try $0[0].pow(3) },
    "pow_tensor": one { try $0[0].pow($0[1]) },
    "maximum": one { try $0[0].maximum($0[1]) },
    "minimum": one { try $0[0].minimum($0[1]) },
    "sqrt": one { try $0[0].sqrt() },
    "rsqrt": one { try $0[0].rsqrt() },
    "exp": one { try $0[0].exp() },
    "log": one { try $0[0].log() },
    "log1p": one { try $0[0].log1p() },
    "tanh": one { try $0[0].tanh() },
    "erf": one { try $0[0].erf() },
    "gelu": one { try $0[0].gelu() },
    "gelu_tanh": one { try $0[0].gelu(approximation: .tanh) },
    "relu": one { try $0[0].relu() },
    "sigmoid": one { try $0[0].sigmoid() },
    "sign": one { try $0[0].sign() },
    "abs": one { try $0[0].abs() },
    "floor": one { try $0[0].floor() },
    "ceil": one { try $0[0].ceil() },
    "square": one { try $0[0].square() },
    "reciprocal": one { try $0[0].reciprocal() },
    "clamp_min": one { try $0[0].clamp(min: -0.5) },
    "clamp_max": one { try $0[0].clamp(max: 0.5) },
    "clamp_both": one { try $0[0].clamp(min: -0.5, max: 0.5) },
    "softmax_last": one { try $0[0].softmax(dim: -1) },
    "softmax_middle": one { try $0[0].softmax(dim: 1) },
    "log_softmax_last": one { try $0[0].logSoftmax(dim: -1) },
    "log_softmax_first": one { try $0[0].logSoftmax(dim: 0) },
    "layer_norm_affine": one { try $0[0].layerNorm(normalizedShape: [6], weight: $0[1], bias: $0[2], eps: 1e-5) },
    "layer_norm_plain": one { try $0[0].layerNorm(normalizedShape: [6], eps: 1e-12) },
    "embedding": one { try Tensor.embedding(weight: $0[0], indices: $0[1]) },
    "embedding_padding": one { try Tensor.embedding(weight: $0[0], indices: $0[1], paddingIndex: 0) },
    "dropout_eval": one { try $0[0].dropout(probability: 0.5, training: false) },
    "dropout_p0": one { try $0[0].dropout(probability: 0, training: true) },
    "dropout_p1": one { try $0[0].dropout(probability: 1, training: true) },
    "masked_fill": one { try $0[0].maskedFill($0[1], value: -7) },
    "where": one { try Tensor.where($0[0], $0[1], $0[2]) },
    "gather": one { try $0[0].gather(dim: 1, index: $0[1]) },
    "index_select": one { try $0[0].indexSelect(dim: 0, index: $0[1]) },
    "cat": one { try Tensor.cat([$0[0], $0[1]], dim: 1) },
    "stack": one { try Tensor.stack([$0[0], $0[1]], dim: 0) },
    "split": { try $0[0].split(size: 2, dim: 1) },
    "chunk": { try $0[0].chunk(3, dim: 2) },
    "narrow": one { try $0[0].narrow(dim: 1, start: 2, length: 3) },
    "slice_step": one { try $0[0].slice(dim: 1, start: 1, end: 6, step: 2) },
    "select": one { try $0[0].select(dim: 1, index: 2) },
    "view": one { try $0[0].view(6, 4) },
    "reshape_copy": one { try $0[0].transpose(0, 1).reshape(12) },
    "permute": one { try $0[0].permute(2, 0, 1) },
    "transpose": one { try $0[0].transpose(0, 2) },
    "contiguous": one { try $0[0].transpose(0, 1).contiguous() },
    "unsqueeze": one { try $0[0].unsqueeze(1) },
    "squeeze_dim": one { try $0[0].squeeze(1) },
    "squeeze_all": one { try $0[0].squeeze() },
    "expand": one { try $0[0].expand([3, 4]) },
    "repeat": one { try $0[0].repeated([2, 1, 2]) },
    "flatten": one { try $0[0].flatten(startDim: 1) },
    "sum_dims": one { try $0[0].sum(dims: [0, 2], keepDim: true) },
    "sum_all": one { try $0[0].sum() },
    "mean_dim": one { try $0[0].mean(dim: 1) },
    "mean_all": one { try $0[0].mean() },
    "max_dim": { let r = try $0[0].max(dim: 1); return [r.values, r.indices] },
    "min_dim": { let r = try $0[0].min(dim: 0, keepDim: true); return [r.values, r.indices] },
    "max_all": one { try $0[0].max() },
    "argmax": one { try $0[0].argmax(dim: 1) },
    "cross_entropy_mean": one { try $0[0].crossEntropy(target: $0[1]) },
    "cross_entropy_sum": one { try $0[0].crossEntropy(target: $0[1], reduction: .sum) },
    "cross_entropy_none": one { try $0[0].crossEntropy(target: $0[1], reduction: .none) },
    "cross_entropy_weighted": one { try $0[0].crossEntropy(target: $0[1], weight: $0[2]) },
    "cross_entropy_smoothed": one { try $0[0].crossEntropy(target: $0[1], labelSmoothing: 0.1) },
    "cross_entropy_weighted_smoothed": one { try $0[0].crossEntropy(target: $0[1], weight: $0[2], labelSmoothing: 0.1) },
    "cross_entropy_ignore": one { try $0[0].crossEntropy(target: $0[1], ignoreIndex: -100) },
    "mse_loss": one { try $0[0].mseLoss(target: $0[1]) },
    "float16_round_trip": one { try $0[0].to(.float16).to(.float32) },
    "bfloat16_round_trip": one { try $0[0].to(.bfloat16).to(.float32) },
    "to_int64": one { try $0[0].to(.int64) },
    "to_float64": one { try $0[0].to(.float64) },
    "eq": one { try $0[0].eq($0[1]) },
    "ne": one { try $0[0].ne($0[1]) },
    "lt": one { try $0[0].lt($0[1]) },
    "le": one { try $0[0].le($0[1]) },
    "gt": one { try $0[0].gt($0[1]) },
    "ge": one { try $0[0].ge($0[1]) },
    "eq_scalar": one { try $0[0].eq(2.0) },
    "logical_and": one { try $0[0].logicalAnd($0[1]) },
    "logical_or": one { try $0[0].logicalOr($0[1]) },
    "logical_not": one { try $0[0].logicalNot() },
    "arange": one { _ in try Tensor.arange(2, 11, step: 3) },
    "arange_float": one { _ in try Tensor.arange(0, 1, step: 0.25, dtype: .float32) },
    "zeros": one { _ in try Tensor.zeros([2, 3]) },
    "ones_int64": one { _ in try Tensor.ones([2, 2], dtype: .int64) },
    "full": one { _ in try Tensor.full([2, 3], value: -1.5) },
    "rand_seeded": one { _ in try Tensor.rand([3, 4], generator: Generator(seed: 11)) },
    "randn_seeded": one { _ in try Tensor.randn([3, 4], generator: Generator(seed: 11)) },
    "randint_seeded": one { _ in try Tensor.randint(0..<10, shape: [3, 4], generator: Generator(seed: 11)) },
    "clamp_int64": one { try $0[0].clamp(min: 0, max: 4) },
    "randperm_seeded": one { _ in try Tensor.randperm(10, generator: Generator(seed: 11)) },
]

/// max |a - b| / max(1, |b|): absolute for values near 1, relative for large ones.
private func difference(_ actual: [Double], _ expected: [Double]) -> Double {
    zip(actual, expected).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
}

private func caseNames() -> [String] {
    (try? OpFixture.shared.get().cases.map(\.name)) ?? ["fixture missing"]
}

@Suite struct OpParityTests {
    @Test func everyFixtureCaseHasASwiftOp() throws {
        let names = try OpFixture.shared.get().cases.map(\.name)
        #expect(names.count >= 100)
        #expect(names.filter { ops[$0] == nil } == [], "cases without a Swift closure")
        #expect(Set(ops.keys).subtracting(names).isEmpty, "closures without a case")
    }

    @Test(arguments: caseNames())
    func matchesPyTorch(_ name: String) throws {
        let fixture = try #require(try OpFixture.shared.get().cases.first { $0.name == name })
        let op = try #require(ops[name], "no Swift op for \(name)")
        let inputs = try fixture.inputs.enumerated().map { index, values in
            let tensor = try values.tensor()
            let wantsGrad = index < fixture.grads.count && fixture.grads[index] != nil
            return wantsGrad ? try tensor.requiringGrad() : tensor
        }
        let outputs = try op(inputs)
        #expect(outputs.count == fixture.outputs.count)
        var loss: Tensor?
        for (index, (output, expected)) in zip(outputs, fixture.outputs).enumerated() {
            #expect(try output.shape == expected.shape, "\(name) output \(index) shape")
            #expect(try output.dtype.description == expected.dtype, "\(name) output \(index) dtype")
            let actual = try output.doubles()
            if expected.dtype.hasPrefix("float") {
                let worst = difference(actual, expected.values)
                #expect(worst <= 1e-5, "\(name) output \(index): largest difference \(worst)")
            } else {
                #expect(actual == expected.values, "\(name) output \(index) differs")
            }
            if index < fixture.weights.count, let weight = fixture.weights[index] {
                let term = try (output * weight.tensor()).sum()
                loss = try loss.map { try $0 + term } ?? term
            }
        }
        guard let loss else {
            #expect(fixture.grads.allSatisfy { $0 == nil }, "\(name): PyTorch has gradients, Swift built no loss")
            return
        }
        try loss.backward()
        for (index, expected) in fixture.grads.enumerated() {
            guard let expected else { continue }
            let grad = try #require(try inputs[index].grad, "\(name): input \(index) got no gradient")
            let worst = difference(try grad.doubles(), expected.values)
            #expect(worst <= 1e-5, "\(name) gradient of input \(index): largest difference \(worst)")
        }
    }
}
