import CTorch
import Foundation

/// A seeded CPU random generator (`torch.Generator().manual_seed(seed)`): the same seed gives
/// the same numbers as PyTorch's for rand, randn, randint and randperm.
public final class Generator {
    let handle: OpaquePointer

    public init(seed: UInt64) throws {
        var out: OpaquePointer?
        try check(ctorch_generator_new(seed, &out), "Generator(seed:)")
        guard let out else { throw TorchError.libtorch(operation: "Generator(seed:)", message: "no generator returned") }
        handle = out
    }

    deinit {
        ctorch_generator_free(handle)
    }
}

/// Library-wide settings of libtorch.
public enum LibTorch {
    /// The libtorch version the shim was compiled against, e.g. "1.13.0".
    public static var version: String {
        var text: UnsafePointer<CChar>?
        guard ctorch_version(&text) == 0, let text else { return "unknown" }
        return String(cString: text)
    }

    /// Seeds the global generators (`torch.manual_seed`), used by dropout and by creation
    /// functions given no ``Generator``.
    public static func manualSeed(_ seed: UInt64) throws {
        try check(ctorch_manual_seed(seed), "manualSeed")
    }

    private static let globalGeneratorLock = NSLock()

    /// Seeds the global generators and runs `body` while no other caller of this function in
    /// the process can draw from them: dropout has no generator argument, so reproducible
    /// dropout masks (a fine-tuning step that a resumed run must repeat exactly, a parity test
    /// against PyTorch with the same seed) need the global generator to themselves. Not
    /// reentrant. Code that draws from the global generator outside this function is not held
    /// back.
    public static func withGlobalGenerator<Result>(seed: UInt64, _ body: () throws -> Result) throws -> Result {
        globalGeneratorLock.lock()
        defer { globalGeneratorLock.unlock() }
        try manualSeed(seed)
        return try body()
    }

    /// Makes glibc's malloc keep freed memory instead of returning it to the system (large
    /// blocks from the heap rather than mmap, no trimming). libtorch frees and allocates
    /// activation-sized buffers on every op; returned pages come back zero-filled through page
    /// faults, which cost a third of a DeBERTa forward pass on the CPU here (550 -> 896 tokens/s).
    /// The process keeps its peak memory. Call it once at start-up in a program (the `arena`
    /// commands do); a library should not. Returns false where it is not supported.
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        var applied: Int32 = 0
        return ctorch_keep_freed_memory(&applied) == 0 && applied == 1
    }

    /// Intra-op threads (`torch.set_num_threads`).
    public static func setThreadCount(_ count: Int) throws {
        try check(ctorch_set_num_threads(Int32(clamping: count)), "setThreadCount")
    }

    /// Tensor handles created minus freed on the calling thread (for leak tests).
    static var liveTensorHandlesOnThisThread: Int {
        var count: Int64 = 0
        guard ctorch_thread_live_tensor_count(&count) == 0 else { return -1 }
        return Int(count)
    }

    public static var threadCount: Int {
        var count: Int32 = 0
        guard ctorch_get_num_threads(&count) == 0 else { return 1 }
        return Int(count)
    }
}
