import CTorch
import Foundation

/// A group of processes that train one model together, on PyTorch's own distributed engine
/// (c10d): `torch.distributed.init_process_group("gloo", init_method="tcp://addr:port",
/// rank=, world_size=, timeout=)` of torch/distributed/distributed_c10d.py (v2.15.0), through
/// the shim. Rank 0 serves a `c10d::TCPStore` at `masterAddress:masterPort`; every rank joins it
/// and `c10d::ProcessGroupGloo` connects the ranks (CPU tensors). `init` returns once all
/// `worldSize` ranks have arrived.
///
/// The collectives work in place on dense, contiguous CPU tensors and must be called in the same
/// order, with tensors of the same shapes, on every rank. Each waits at most `timeout`: a rank
/// that never arrives or dies makes the others' calls throw (naming this rank, the world size and
/// the operation, with c10d's message) instead of hanging. docs/DISTRIBUTED.md.
public final class ProcessGroup {
    let handle: OpaquePointer
    /// This process's rank, 0..<worldSize.
    public let rank: Int
    public let worldSize: Int
    /// The longest any one call waits for the other ranks.
    public let timeout: TimeInterval

    /// Joins the group; the default timeout is 300 s (torch's default for Gloo is 30 min).
    public init(rank: Int, worldSize: Int, masterAddress: String = "127.0.0.1", masterPort: Int, timeout: TimeInterval = 300) throws {
        let place = "ProcessGroup(rank \(rank) of world size \(worldSize), \(masterAddress):\(masterPort))"
        guard worldSize >= 1 else { throw TorchError.invalidArgument("\(place): the world size must be at least 1") }
        guard (0..<worldSize).contains(rank) else { throw TorchError.invalidArgument("\(place): the rank must be in 0..<\(worldSize)") }
        guard (1...65535).contains(masterPort) else { throw TorchError.invalidArgument("\(place): the port must be in 1...65535") }
        guard timeout.isFinite, timeout >= 0.001, timeout * 1000 < Double(Int64.max) else {
            throw TorchError.invalidArgument("\(place): the timeout \(timeout) s is not a positive number of seconds")
        }
        var out: OpaquePointer?
        try check(
            ctorch_process_group_new(Int32(rank), Int32(worldSize), masterAddress, Int32(masterPort), Int64((timeout * 1000).rounded()), &out),
            "\(place): joining the group (timeout \(timeout) s)")
        guard let out else { throw TorchError.libtorch(operation: place, message: "no process group returned") }
        handle = out
        self.rank = rank
        self.worldSize = worldSize
        self.timeout = timeout
    }

    deinit {
        ctorch_process_group_free(handle)
    }

    /// Where an error happened: this rank, the world size and the operation.
    func operation(_ name: String) -> String { "ProcessGroup.\(name) (rank \(rank) of world size \(worldSize), timeout \(timeout) s)" }

    /// `dist.all_reduce(t, op=SUM)` on each tensor, in place: one call per bucket.
    public func allReduce(_ tensors: [Tensor]) throws {
        try allReduce(tensors, mean: false, "allReduce")
    }

    /// The all-reduced sum divided by the world size, in place: averaged gradients (DDP's).
    public func allReduceMean(_ tensors: [Tensor]) throws {
        try allReduce(tensors, mean: true, "allReduceMean")
    }

    func allReduce(_ tensors: [Tensor], mean: Bool, _ name: String) throws {
        let handles: [OpaquePointer?] = tensors.map { $0.handle }
        try check(handles.withUnsafeBufferPointer { ctorch_process_group_allreduce(handle, $0.baseAddress, $0.count, mean) }, operation(name))
    }

    /// `dist.broadcast(t, src=root)` on each tensor: every rank's tensors become root's, in place.
    public func broadcast(_ tensors: [Tensor], root: Int = 0) throws {
        guard (0..<worldSize).contains(root) else {
            throw TorchError.invalidArgument("\(operation("broadcast")): the root \(root) is not in 0..<\(worldSize)")
        }
        let handles: [OpaquePointer?] = tensors.map { $0.handle }
        try check(
            handles.withUnsafeBufferPointer { ctorch_process_group_broadcast(handle, $0.baseAddress, $0.count, Int32(root)) },
            operation("broadcast(root: \(root))"))
    }

    /// `dist.barrier()`: returns when every rank has called it.
    public func barrier() throws {
        try check(ctorch_process_group_barrier(handle), operation("barrier"))
    }

    /// `dist.all_gather(outputs, t)`: every rank's `tensor` (the same shape on each), in rank order.
    public func allGather(_ tensor: Tensor) throws -> [Tensor] {
        try Tensor.makeArray(operation("allGather")) { ctorch_process_group_allgather(handle, tensor.handle, $0, $1) }
    }

    /// Whether the shim was built with c10d (libtorch's c10d headers were found).
    public static var isAvailable: Bool {
        var available = false
        return ctorch_distributed_available(&available) == 0 && available
    }
}

/// The variables torchrun sets for each process it starts (torch/distributed/run.py, v2.15.0):
/// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
public struct DistributedEnvironment: Equatable, Sendable {
    public var rank: Int
    public var worldSize: Int
    /// The rank among the processes on this machine (a device index on a multi-GPU machine).
    public var localRank: Int
    public var masterAddress: String
    public var masterPort: Int

    public init(rank: Int, worldSize: Int, localRank: Int, masterAddress: String, masterPort: Int) {
        self.rank = rank
        self.worldSize = worldSize
        self.localRank = localRank
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    /// Reads torchrun's variables; a missing or invalid one is named with its value. LOCAL_RANK
    /// defaults to RANK when absent (one machine).
    public static func parse(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DistributedEnvironment {
        func text(_ name: String) throws -> String {
            guard let value = environment[name] else {
                throw TorchError.invalidArgument("the environment variable \(name) is not set (torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT)")
            }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw TorchError.invalidArgument("the environment variable \(name) is empty") }
            return trimmed
        }
        func integer(_ name: String, _ value: String, in range: ClosedRange<Int>, _ what: String) throws -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw TorchError.invalidArgument("the environment variable \(name)=\"\(value)\" is not \(what)")
            }
            return number
        }
        let worldSize = try integer("WORLD_SIZE", text("WORLD_SIZE"), in: 1...Int(Int32.max), "a positive integer")
        let rank = try integer("RANK", text("RANK"), in: 0...(worldSize - 1), "a rank in 0..<WORLD_SIZE (\(worldSize))")
        let localRank = try environment["LOCAL_RANK"].map { try integer("LOCAL_RANK", $0, in: 0...(worldSize - 1), "a rank in 0..<WORLD_SIZE (\(worldSize))") } ?? rank
        let address = try text("MASTER_ADDR")
        let port = try integer("MASTER_PORT", text("MASTER_PORT"), in: 1...65535, "a port in 1...65535")
        return DistributedEnvironment(rank: rank, worldSize: worldSize, localRank: localRank, masterAddress: address, masterPort: port)
    }
}

extension ProcessGroup {
    /// Joins the group torchrun's variables describe (``DistributedEnvironment/parse(_:)``).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, timeout: TimeInterval = 300
    ) throws -> ProcessGroup {
        let settings = try DistributedEnvironment.parse(environment)
        return try ProcessGroup(
            rank: settings.rank, worldSize: settings.worldSize, masterAddress: settings.masterAddress, masterPort: settings.masterPort,
            timeout: timeout)
    }
}
