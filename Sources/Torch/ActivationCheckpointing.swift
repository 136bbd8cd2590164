import CTorch

/// The Swift block a checkpoint runs, owned by the shim until it releases it.
private final class CheckpointBlock {
    let body: (Tensor) throws -> Tensor
    init(_ body: @escaping (Tensor) throws -> Tensor) { self.body = body }
}

/// Activation checkpointing, `torch.utils.checkpoint.checkpoint(body, input, use_reentrant=True)`
/// (torch/utils/checkpoint.py, v2.15.0): `body(input)` runs without keeping its intermediate
/// tensors, and runs again in the backward pass to compute them (the device's generator and the
/// autocast state of the forward pass restored, so dropout draws the same masks). The gradients
/// of `input` and of every parameter `body` uses are those of `body(input)` itself; the memory
/// of the intermediates is traded for a second forward pass. Without gradient recording (or
/// with nothing in `body` needing a gradient) it is simply `body(input)`.
///
/// When `input` needs no gradient (the embeddings of a frozen model, under LoRA) it is given
/// one as a fresh leaf, as transformers' `enable_input_require_grads` does for reentrant
/// checkpointing: otherwise the backward pass would never reach the block's parameters.
public func checkpointed(_ input: Tensor, _ body: @escaping (Tensor) throws -> Tensor) throws -> Tensor {
    guard try isGradEnabled() else { return try body(input) }
    let recorded = try input.requiresGrad ? input : try input.detach().requiringGrad()
    let context = Unmanaged.passRetained(CheckpointBlock(body)).toOpaque()
    let run: ctorch_checkpoint_body = { context, input, output in
        guard let context, let input, let output else {
            ctorch_set_error("checkpoint: a NULL argument")
            return 1
        }
        let block = Unmanaged<CheckpointBlock>.fromOpaque(context).takeUnretainedValue()
        // The shim keeps its own handle of the input: this one is a new one for Swift to own.
        var shared: OpaquePointer?
        guard ctorch_tensor_share(input, &shared) == 0, let shared else { return 1 }
        do {
            let result = try block.body(Tensor(handle: shared))
            var handed: OpaquePointer?
            guard ctorch_tensor_share(result.handle, &handed) == 0 else { return 1 }
            output.pointee = handed
            return 0
        } catch {
            ctorch_set_error("\(error)")
            return 1
        }
    }
    let release: ctorch_checkpoint_release = { context in
        guard let context else { return }
        Unmanaged<CheckpointBlock>.fromOpaque(context).release()
    }
    return try withExtendedLifetime(recorded) {
        try Tensor.make("checkpointed") { ctorch_checkpoint(recorded.handle, run, release, context, $0) }
    }
}
