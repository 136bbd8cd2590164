import CTorch

/// Runs `body` under automatic mixed precision (`torch.autocast`): on `.cpu` with bfloat16,
/// on CUDA with float16 or bfloat16. Matrix products and linear layers run in the lower
/// precision; softmax, layer norm and losses stay in float32, by libtorch's own op lists.
/// The previous state is restored afterwards, even when `body` throws.
public func withAutocast<Result>(
    device: Device = .cpu, dtype: DType = .bfloat16, enabled: Bool = true, _ body: () throws -> Result
) throws -> Result {
    var previousEnabled = false
    var previousDType: Int32 = 0
    try check(ctorch_autocast_push(device.typeCode, dtype.rawValue, enabled, &previousEnabled, &previousDType), "withAutocast")
    defer { ctorch_autocast_pop(device.typeCode, previousEnabled, previousDType) }
    return try body()
}
