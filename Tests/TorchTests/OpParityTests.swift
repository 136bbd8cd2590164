import Foundation
import Testing
@testable import Torch

/// Cases written by tools/make_torch_fixtures.py with torch 2.15.0 from PyPI (tools/requirements.txt),
/// the build whose libtorch this package links: each op's inputs and outputs, and the gradient of
/// sum_k (outputs[k] * W_k).sum() with respect to each float input (the W_k are stored too).
private struct OpFixture: Decodable {
    struct Values: Decodable {
        let dtype: String
        let shape: [Int]
        /// Float values are the exact float64 value of each float32; bools are 0 or 1.
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

        var isFloatingPoint: Bool { dtype.hasPrefix("float") || dtype == "bfloat16" }
    }

    struct Case: Decodable {
        let name: String
        let inputs: [Values]
        let outputs: [Values]
        /// One W per output; nil where the output takes no gradient.
        let weights: [Values?]
        /// One gradient per input; nil where the input takes none.
        let grads: [Values?]
    }

    let torch: String
    let cases: [Case]

    static let shared: Result<OpFixture, any Error> = Result {
        guard let url = Bundle.module.url(forResource: "ops", withExtension: "json", subdirectory: "Fixtures") else {
            throw TorchError.invalidArgument("Fixtures/ops.json is missing from the test bundle")
        }
        return try JSONDecoder().decode(OpFixture.self, from: Data(contentsOf: url))
    }
}

private typealias Op = @Sendable ([Tensor]) throws -> [Tensor]

private func one(_ body: @escaping @Sendable ([Tensor]) throws -> Tensor) -> Op { { [try body($0)] } }

/// The Swift side of every case, by case name (the names of make_torch_fixtures.py).
private let ops: [String: Op] = [
    // Linear algebra
    "matmul_2d": one { try $0[0].matmul($0[1]) },
    "matmul_batched": one { try $0[0].matmul($0[1]) },
    "matmul_broadcast": one { try $0[0].matmul($0[1]) },
    "matmul_broadcast_batch": one { try $0[0].matmul($0[1]) },
    "matmul_vector": one { try $0[0].matmul($0[1]) },
    "bmm": one { try $0[0].bmm($0[1]) },
    "linear_bias": one { try $0[0].linear(weight: $0[1], bias: $0[2]) },
    "linear_no_bias": one { try $0[0].linear(weight: $0[1]) },
    // Arithmetic
    "add_broadcast": one { try $0[0] + $0[1] },
    "add_broadcast_both": one { try $0[0] + $0[1] },
    "sub_broadcast": one { try $0[0] - $0[1] },
    "mul_broadcast": one { try $0[0] * $0[1] },
    "div_broadcast": one { try $0[0] / $0[1] },
    "add_scalar": one { try $0[0] + 2.5 },
    "sub_scalar": one { try $0[0] - 2.5 },
    "mul_scalar": one { try $0[0] * 2.5 },
    "div_scalar": one { try $0[0] / 2.5 },
    "scalar_add": one { try 1.5 + $0[0] },
    "scalar_sub": one { try 2 - $0[0] },
    "scalar_mul": one { try 3 * $0[0] },
    "scalar_div": one { try 2 / $0[0] },
    "negate": one { try -$0[0] },
    "int_add_scalar": one { try $0[0] + 2 },
    "int_mul_fraction": one { try $0[0] * 0.5 },
    "int_div_scalar": one { try $0[0] / 4 },
    "scalar_sub_int": one { try 7 - $0[0] },
    "pow_scalar": one { try $0[0].pow(3) },
    "pow_scalar_fraction": one { try $0[0].pow(0.5) },
    "pow_scalar_negative": one { try $0[0].pow(-2) },
    "pow_tensor": one { try $0[0].pow($0[1]) },
    "pow_tensor_broadcast": one { try $0[0].pow($0[1]) },
    "maximum": one { try $0[0].maximum($0[1]) },
    "minimum": one { try $0[0].minimum($0[1]) },
    "maximum_ties": one { try $0[0].maximum($0[1]) },
    "minimum_broadcast": one { try $0[0].minimum($0[1]) },
    // Element-wise functions
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
    "round": one { try $0[0].round() },
    "square": one { try $0[0].square() },
    "reciprocal": one { try $0[0].reciprocal() },
    "sin": one { try $0[0].sin() },
    "cos": one { try $0[0].cos() },
    "sign_zero": one { try $0[0].sign() },
    "relu_int64": one { try $0[0].relu() },
    "abs_int64": one { try $0[0].abs() },
    "clamp_min": one { try $0[0].clamp(min: -0.5) },
    "clamp_max": one { try $0[0].clamp(max: 0.5) },
    "clamp_both": one { try $0[0].clamp(min: -0.5, max: 0.5) },
    "clamp_int64": one { try $0[0].clamp(min: 0, max: 4) },
    "remainder_scalar": one { try $0[0].remainder(1.5) },
    "floor_divide_scalar": one { try $0[0].floorDivide(1.5) },
    // Softmax, normalisation, embedding, dropout
    "softmax_last": one { try $0[0].softmax(dim: -1) },
    "softmax_middle": one { try $0[0].softmax(dim: 1) },
    "softmax_first": one { try $0[0].softmax(dim: 0) },
    "softmax_float64": one { try $0[0].softmax(dim: -1, dtype: .float64) },
    "log_softmax_last": one { try $0[0].logSoftmax(dim: -1) },
    "log_softmax_middle": one { try $0[0].logSoftmax(dim: 1) },
    "log_softmax_first": one { try $0[0].logSoftmax(dim: 0) },
    "sdpa_additive_mask": one { try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3]) },
    "sdpa_plain": one { try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) },
    "sdpa_causal_scaled": one { try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true, scale: 0.5) },
    "sdpa_bool_mask": one { try Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3]) },
    "layer_norm_affine": one { try $0[0].layerNorm(normalizedShape: [6], weight: $0[1], bias: $0[2], eps: 1e-5) },
    "layer_norm_plain": one { try $0[0].layerNorm(normalizedShape: [6], eps: 1e-12) },
    "layer_norm_weight_only": one { try $0[0].layerNorm(normalizedShape: [6], weight: $0[1]) },
    "layer_norm_two_dims": one { try $0[0].layerNorm(normalizedShape: [3, 4], weight: $0[1], bias: $0[2]) },
    "embedding": one { try Tensor.embedding(weight: $0[0], indices: $0[1]) },
    "embedding_padding": one { try Tensor.embedding(weight: $0[0], indices: $0[1], paddingIndex: 0) },
    "embedding_padding_last": one { try Tensor.embedding(weight: $0[0], indices: $0[1], paddingIndex: -1) },
    "dropout_eval": one { try $0[0].dropout(probability: 0.5, training: false) },
    "dropout_p0": one { try $0[0].dropout(probability: 0, training: true) },
    "dropout_p1": one { try $0[0].dropout(probability: 1, training: true) },
    // Masking and indexing
    "masked_fill": one { try $0[0].maskedFill($0[1], value: -7) },
    "masked_fill_broadcast": one { try $0[0].maskedFill($0[1], value: -.infinity).clamp(min: -1e4) },
    "where": one { try Tensor.where($0[0], $0[1], $0[2]) },
    "where_broadcast": one { try Tensor.where($0[0], $0[1], $0[2]) },
    "gather": one { try $0[0].gather(dim: 1, index: $0[1]) },
    "gather_first_dim": one { try $0[0].gather(dim: 0, index: $0[1]) },
    "index_select": one { try $0[0].indexSelect(dim: 0, index: $0[1]) },
    "index_select_last_dim": one { try $0[0].indexSelect(dim: 1, index: $0[1]) },
    // Joining, splitting, slicing
    "cat": one { try Tensor.cat([$0[0], $0[1]], dim: 1) },
    "cat_three": one { try Tensor.cat([$0[0], $0[1], $0[2]]) },
    "stack": one { try Tensor.stack([$0[0], $0[1]], dim: 0) },
    "stack_last": one { try Tensor.stack([$0[0], $0[1], $0[2]], dim: -1) },
    "split": { try $0[0].split(size: 2, dim: 1) },
    "chunk": { try $0[0].chunk(3, dim: 2) },
    "narrow": one { try $0[0].narrow(dim: 1, start: 2, length: 3) },
    "slice_step": one { try $0[0].slice(dim: 1, start: 1, end: 6, step: 2) },
    "slice_negative_start": one { try $0[0].slice(dim: 1, start: -3) },
    "slice_clipped_end": one { try $0[0].slice(dim: 0, start: 1, end: 100) },
    "select": one { try $0[0].select(dim: 1, index: 2) },
    "select_negative": one { try $0[0].select(dim: 0, index: -1) },
    "subscript_index": one { try $0[0][1] },
    "subscript_ranges": one { try $0[0][0..<2, 1..<3] },
    // Shapes
    "view": one { try $0[0].view(6, 4) },
    "view_inferred": one { try $0[0].view(-1, 2) },
    "reshape_copy": one { try $0[0].transpose(0, 1).reshape(12) },
    "permute": one { try $0[0].permute(2, 0, 1) },
    "transpose": one { try $0[0].transpose(0, 2) },
    "transpose_negative": one { try $0[0].transpose(-1, -2) },
    "contiguous": one { try $0[0].transpose(0, 1).contiguous() },
    "unsqueeze": one { try $0[0].unsqueeze(1) },
    "unsqueeze_last": one { try $0[0].unsqueeze(-1) },
    "squeeze_dim": one { try $0[0].squeeze(1) },
    "squeeze_all": one { try $0[0].squeeze() },
    "expand": one { try $0[0].expand([3, 4]) },
    "expand_new_dims": one { try $0[0].expand([2, -1, 4]) },
    "repeat": one { try $0[0].repeated([2, 1, 2]) },
    "flatten": one { try $0[0].flatten(startDim: 1) },
    "flatten_all": one { try $0[0].flatten() },
    "flatten_leading": one { try $0[0].flatten(startDim: 0, endDim: 1) },
    "copy_broadcast": one { let t = try Tensor.zeros([2, 3]); try t.copy(from: $0[0]); return t },
    "copy_converting": one { let t = try Tensor.zeros([2, 3], dtype: .int64); try t.copy(from: $0[0]); return t },
    "fill": one { _ in let t = try Tensor.zeros([2, 3]); try t.fill(-2.5); return t },
    "as_strided": one { try $0[0].asStrided(shape: [2, 2], strides: [4, 1], offset: 1) },
    "clone": one { try $0[0].clone() },
    // Reductions
    "sum_dims_keepdim": one { try $0[0].sum(dims: [0, 2], keepDim: true) },
    "sum_dim": one { try $0[0].sum(dim: -1) },
    "sum_all": one { try $0[0].sum() },
    "sum_all_keepdim": one { try $0[0].sum(dims: [], keepDim: true) },
    "sum_float64": one { try $0[0].sum(dims: [0], dtype: .float64) },
    "sum_int64": one { try $0[0].sum(dim: 1) },
    "mean_dim": one { try $0[0].mean(dim: 1) },
    "mean_dims_keepdim": one { try $0[0].mean(dims: [1, 2], keepDim: true) },
    "mean_all": one { try $0[0].mean() },
    "mean_all_keepdim": one { try $0[0].mean(dims: [], keepDim: true) },
    "max_dim": { let r = try $0[0].max(dim: 1); return [r.values, r.indices] },
    "max_dim_keepdim": { let r = try $0[0].max(dim: -1, keepDim: true); return [r.values, r.indices] },
    "min_dim": { let r = try $0[0].min(dim: 0, keepDim: true); return [r.values, r.indices] },
    "max_all": one { try $0[0].max() },
    "min_all": one { try $0[0].min() },
    "argmax": one { try $0[0].argmax(dim: 1) },
    "argmax_keepdim": one { try $0[0].argmax(dim: 0, keepDim: true) },
    // Losses
    "cross_entropy_mean": one { try $0[0].crossEntropy(target: $0[1]) },
    "cross_entropy_sum": one { try $0[0].crossEntropy(target: $0[1], reduction: .sum) },
    "cross_entropy_none": one { try $0[0].crossEntropy(target: $0[1], reduction: .none) },
    "cross_entropy_weighted": one { try $0[0].crossEntropy(target: $0[1], weight: $0[2]) },
    "cross_entropy_weighted_none": one { try $0[0].crossEntropy(target: $0[1], weight: $0[2], reduction: .none) },
    "cross_entropy_smoothed": one { try $0[0].crossEntropy(target: $0[1], labelSmoothing: 0.1) },
    "cross_entropy_smoothed_sum": one { try $0[0].crossEntropy(target: $0[1], reduction: .sum, labelSmoothing: 0.1) },
    "cross_entropy_weighted_smoothed": one { try $0[0].crossEntropy(target: $0[1], weight: $0[2], labelSmoothing: 0.1) },
    "cross_entropy_ignore": one { try $0[0].crossEntropy(target: $0[1], ignoreIndex: -100) },
    "cross_entropy_ignore_other": one { try $0[0].crossEntropy(target: $0[1], ignoreIndex: Int($0[1].int64s()[0])) },
    "cross_entropy_ignore_smoothed_weighted": one {
        try $0[0].crossEntropy(target: $0[1], weight: $0[2], ignoreIndex: -100, labelSmoothing: 0.1)
    },
    "cross_entropy_probabilities": one { try $0[0].crossEntropy(target: $0[1]) },
    "cross_entropy_sequence": one { try $0[0].crossEntropy(target: $0[1]) },
    "mse_loss": one { try $0[0].mseLoss(target: $0[1]) },
    "mse_loss_sum": one { try $0[0].mseLoss(target: $0[1], reduction: .sum) },
    "mse_loss_none": one { try $0[0].mseLoss(target: $0[1], reduction: .none) },
    // Conversions
    "float16_round_trip": one { try $0[0].to(.float16).to(.float32) },
    "bfloat16_round_trip": one { try $0[0].to(.bfloat16).to(.float32) },
    "to_int64": one { try $0[0].to(.int64) },
    "to_float64": one { try $0[0].to(.float64) },
    "int64_to_float32": one { try $0[0].to(.float32) },
    "bool_to_float32": one { try $0[0].to(.float32) },
    "float32_to_bool": one { try $0[0].to(.bool) },
    // Comparisons and logic
    "eq": one { try $0[0].eq($0[1]) },
    "ne": one { try $0[0].ne($0[1]) },
    "lt": one { try $0[0].lt($0[1]) },
    "le": one { try $0[0].le($0[1]) },
    "gt": one { try $0[0].gt($0[1]) },
    "ge": one { try $0[0].ge($0[1]) },
    "eq_scalar": one { try $0[0].eq(2.0) },
    "ne_scalar": one { try $0[0].ne(2.0) },
    "lt_scalar": one { try $0[0].lt(2.0) },
    "le_scalar": one { try $0[0].le(2.0) },
    "gt_scalar": one { try $0[0].gt(2.0) },
    "ge_scalar": one { try $0[0].ge(2.0) },
    "lt_broadcast": one { try $0[0].lt($0[1]) },
    "eq_int64": one { try $0[0].eq($0[1]) },
    "logical_and": one { try $0[0].logicalAnd($0[1]) },
    "logical_or": one { try $0[0].logicalOr($0[1]) },
    "logical_not": one { try $0[0].logicalNot() },
    // Creation
    "arange": one { _ in try Tensor.arange(2, 11, step: 3) },
    "arange_end_only": one { _ in try Tensor.arange(0, 5) },
    "arange_float": one { _ in try Tensor.arange(0, 1, step: 0.25, dtype: .float32) },
    "arange_fractional_end": one { _ in try Tensor.arange(0, 2.5) },
    "zeros": one { _ in try Tensor.zeros([2, 3]) },
    "ones": one { _ in try Tensor.ones([3]) },
    "ones_int64": one { _ in try Tensor.ones([2, 2], dtype: .int64) },
    "full": one { _ in try Tensor.full([2, 3], value: -1.5) },
    "full_bool": one { _ in try Tensor.full([2], value: 1, dtype: .bool) },
    "scalar": one { _ in try Tensor.scalar(0.25) },
    "rand_seeded": one { _ in try Tensor.rand([3, 4], generator: Generator(seed: 11)) },
    "rand_seeded_float64": one { _ in try Tensor.rand([5], dtype: .float64, generator: Generator(seed: 7)) },
    "randn_seeded": one { _ in try Tensor.randn([3, 4], generator: Generator(seed: 11)) },
    "randn_seeded_small": one { _ in try Tensor.randn([5], generator: Generator(seed: 3)) },
    "randn_seeded_large": one { _ in try Tensor.randn([6, 7], generator: Generator(seed: 3)) },
    "randint_seeded": one { _ in try Tensor.randint(0..<10, shape: [3, 4], generator: Generator(seed: 11)) },
    "randint_seeded_offset": one { _ in try Tensor.randint(-3..<7, shape: [8], generator: Generator(seed: 5)) },
    "randperm_seeded": one { _ in try Tensor.randperm(10, generator: Generator(seed: 11)) },
    "randperm_seeded_long": one { _ in try Tensor.randperm(40, generator: Generator(seed: 9)) },
    "generator_stream": { _ in
        let stream = try Generator(seed: 21)
        return [
            try Tensor.rand([3], generator: stream), try Tensor.randn([4], generator: stream),
            try Tensor.randint(0..<5, shape: [3], generator: stream), try Tensor.randperm(5, generator: stream),
            try Tensor.rand([2], generator: stream),
        ]
    },
]

/// Cases that show a known bug of the binding (none at present). They run inside
/// `withKnownIssue`, which fails once the bug is fixed so that the entry gets removed.
private let knownBindingBugs: [String: Comment] = [:]

/// The tolerance for float values (absolute), outputs and gradients alike.
private let tolerance = 1e-5

/// The largest |actual - expected| and where it is, for messages.
private func largestDifference(_ actual: [Double], _ expected: [Double]) -> (value: Double, index: Int) {
    var worst = (value: 0.0, index: 0)
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let difference = a == e ? 0 : Swift.abs(a - e)  // a == e also covers equal infinities
        if difference > worst.value || difference.isNaN { worst = (difference, index) }
    }
    return worst
}

/// Compares shape, dtype and values of one tensor with the fixture's (floats within `tolerance`,
/// integers and bools exactly); returns the largest difference.
private func expectMatches(_ tensor: Tensor, _ expected: OpFixture.Values, _ what: String) throws -> Double {
    let shape = try tensor.shape
    #expect(shape == expected.shape, "\(what): shape \(shape), PyTorch \(expected.shape)")
    let dtype = try tensor.dtype.description
    #expect(dtype == expected.dtype, "\(what): dtype \(dtype), PyTorch \(expected.dtype)")
    let actual = try tensor.doubles()
    guard actual.count == expected.values.count else {
        Issue.record("\(what): \(actual.count) values, PyTorch \(expected.values.count)")
        return .infinity
    }
    if expected.isFloatingPoint {
        let worst = largestDifference(actual, expected.values)
        #expect(
            worst.value <= tolerance,
            "\(what): largest difference \(worst.value) at element \(worst.index) (\(actual[worst.index]) vs PyTorch \(expected.values[worst.index]))"
        )
        return worst.value
    }
    let mismatches = zip(actual, expected.values).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
    #expect(mismatches.isEmpty, "\(what): \(mismatches.count) values differ (exact dtype), first at \(mismatches.first ?? -1): \(actual) vs PyTorch \(expected.values)")
    return mismatches.isEmpty ? 0 : .infinity
}

private func caseNames() -> [String] {
    (try? OpFixture.shared.get().cases.map(\.name)) ?? ["Fixtures/ops.json could not be read"]
}

@Suite struct OpParityTests {
    @Test func everyFixtureCaseHasASwiftOp() throws {
        let fixture = try OpFixture.shared.get()
        // The pinned torch (the wheel calls itself "2.15.0+cu132"), the one scripts/setup-libtorch.sh installs.
        #expect(fixture.torch.split(separator: "+").first == "2.15.0", "fixtures from torch \(fixture.torch)")
        let names = fixture.cases.map(\.name)
        #expect(names.count >= 190)
        #expect(Set(names).count == names.count, "duplicate case names")
        #expect(names.filter { ops[$0] == nil } == [], "cases without a Swift closure")
        #expect(Set(ops.keys).subtracting(names).sorted() == [], "closures without a case")
        #expect(Set(knownBindingBugs.keys).subtracting(names).sorted() == [], "known bugs without a case")
    }

    @Test(arguments: caseNames())
    func matchesPyTorch(_ name: String) throws {
        if let bug = knownBindingBugs[name] {
            withKnownIssue(bug) { try compare(name) }
        } else {
            try compare(name)
        }
    }

    /// Runs the case's op on the fixture inputs, compares every output, then back-propagates
    /// sum_k (output_k * W_k).sum() and compares every input's gradient.
    private func compare(_ name: String) throws {
        let fixture = try #require(try OpFixture.shared.get().cases.first { $0.name == name })
        let op = try #require(ops[name], "no Swift closure for the case \(name)")
        try #require(fixture.weights.count == fixture.outputs.count && fixture.grads.count == fixture.inputs.count)
        let inputs = try fixture.inputs.enumerated().map { index, values in
            let tensor = try values.tensor()
            return fixture.grads[index] != nil ? try tensor.requiringGrad() : tensor
        }
        let outputs = try op(inputs)
        try #require(outputs.count == fixture.outputs.count, "\(name): \(outputs.count) outputs, PyTorch \(fixture.outputs.count)")

        var worst = 0.0
        defer {
            if ProcessInfo.processInfo.environment["TORCH_PARITY_VERBOSE"] != nil {
                print("parity \(name): largest difference \(worst)")
            }
        }
        var loss: Tensor?
        for (index, (output, expected)) in zip(outputs, fixture.outputs).enumerated() {
            worst = Swift.max(worst, try expectMatches(output, expected, "\(name) output \(index)"))
            let weight = fixture.weights[index]
            #expect(try output.requiresGrad == (weight != nil), "\(name) output \(index): requiresGrad differs from PyTorch's")
            if let weight {
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
            guard let expected else {
                #expect(try inputs[index].grad == nil, "\(name): input \(index) got a gradient, PyTorch's has none")
                continue
            }
            let grad = try #require(try inputs[index].grad, "\(name): input \(index) got no gradient")
            worst = Swift.max(worst, try expectMatches(grad, expected, "\(name) gradient of input \(index)"))
        }
    }
}
