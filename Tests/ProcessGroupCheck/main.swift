// process-group-check: one rank of a c10d process group (Torch's ProcessGroup), started several
// times by Tests/TorchTests/ProcessGroupTests.swift over loopback. It joins the group, runs each
// collective on rank-dependent tensors and prints one JSON line of what it received; the test
// checks the values. Errors go to standard error, with exit status 1.
//
//   process-group-check --rank R --world-size W --port P [--address 127.0.0.1] [--timeout 30]
//                       [--exit-after-join] [--stall-after-join SECONDS]
//   process-group-check --from-environment [--timeout 30]     (torchrun's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)
//
// --exit-after-join leaves right after joining, as a rank that dies would: the others' next
// collective must fail, not hang. --stall-after-join keeps a rank alive but silent, as a stuck
// one: the others' collective must fail once the timeout has passed.
import Foundation
import Torch

struct Options {
    var rank: Int?
    var worldSize: Int?
    var port: Int?
    var address = "127.0.0.1"
    var timeout: TimeInterval = 30
    var fromEnvironment = false
    var exitAfterJoin = false
    var stallAfterJoin: TimeInterval = 0
}

func parse(_ arguments: [String]) throws -> Options {
    var options = Options()
    var index = 0
    func value(_ name: String) throws -> String {
        index += 1
        guard index < arguments.count else { throw TorchError.invalidArgument("\(name) needs a value") }
        return arguments[index]
    }
    func integer(_ name: String) throws -> Int {
        let text = try value(name)
        guard let number = Int(text) else { throw TorchError.invalidArgument("\(name) \"\(text)\" is not an integer") }
        return number
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--rank": options.rank = try integer("--rank")
        case "--world-size": options.worldSize = try integer("--world-size")
        case "--port": options.port = try integer("--port")
        case "--address": options.address = try value("--address")
        case "--timeout":
            let text = try value("--timeout")
            guard let seconds = TimeInterval(text) else { throw TorchError.invalidArgument("--timeout \"\(text)\" is not a number") }
            options.timeout = seconds
        case "--from-environment": options.fromEnvironment = true
        case "--exit-after-join": options.exitAfterJoin = true
        case "--stall-after-join":
            let text = try value("--stall-after-join")
            guard let seconds = TimeInterval(text) else { throw TorchError.invalidArgument("--stall-after-join \"\(text)\" is not a number") }
            options.stallAfterJoin = seconds
        case let other: throw TorchError.invalidArgument("unknown argument \(other)")
        }
        index += 1
    }
    return options
}

func run() throws {
    let options = try parse(Array(CommandLine.arguments.dropFirst()))
    let group: ProcessGroup
    if options.fromEnvironment {
        group = try ProcessGroup.fromEnvironment(timeout: options.timeout)
    } else {
        guard let rank = options.rank, let worldSize = options.worldSize, let port = options.port else {
            throw TorchError.invalidArgument("--rank, --world-size and --port are needed (or --from-environment)")
        }
        group = try ProcessGroup(rank: rank, worldSize: worldSize, masterAddress: options.address, masterPort: port, timeout: options.timeout)
    }
    if options.exitAfterJoin { exit(0) }
    if options.stallAfterJoin > 0 { Thread.sleep(forTimeInterval: options.stallAfterJoin) }
    let rank = Double(group.rank)

    // Broadcast: rank 0's values reach every rank.
    let broadcast = try group.rank == 0 ? Tensor([Float(1.5), -2, 3.25, 4]) : Tensor.zeros([4])
    try group.broadcast([broadcast], root: 0)

    // All-reduce, two tensors in one call (a bucket): sums of rank + 1 (3 values) and of rank * [0, 1, 2, 3, 4].
    let first = try Tensor.full([3], value: rank + 1)
    let second = try Tensor.arange(5, dtype: .float32) * rank
    try group.allReduce([first, second])
    let mean = try Tensor.full([2], value: rank)
    try group.allReduceMean([mean])

    // All-gather: [rank, 10 * rank] from each rank.
    let gathered = try group.allGather(Tensor([Float(rank), Float(10 * rank)]))
    try group.barrier()

    // One all-reduce of 1M floats (a 4 MB bucket), timed.
    let large = try Tensor.ones([1 << 20])
    let start = Date()
    try group.allReduce([large])
    let seconds = Date().timeIntervalSince(start)
    let largeFirst = try large.floats()[0]
    try group.barrier()

    let result: [String: Any] = [
        "rank": group.rank, "world_size": group.worldSize,
        "broadcast": try broadcast.floats(),
        "allreduce_first": try first.floats(), "allreduce_second": try second.floats(),
        "allreduce_mean": try mean.floats(),
        "allgather": try gathered.map { try $0.floats() },
        "allreduce_1m_first": largeFirst, "allreduce_1m_seconds": seconds,
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("process-group-check: \(error)\n".utf8))
    exit(1)
}
