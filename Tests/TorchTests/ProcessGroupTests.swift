import Foundation
import Testing

import Torch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// c10d through the shim (ProcessGroup.swift): several processes of the `process-group-check`
/// executable (Tests/ProcessGroupCheck) join one Gloo group over loopback and run each
/// collective on rank-dependent tensors; the test checks what each rank received. A rank that
/// never arrives or dies must end the others with an error within a bounded time.
@Suite(.serialized) struct ProcessGroupTests {
    struct RankResult {
        var status: Int32
        var output: String
        var error: String
        var seconds: Double
    }

    /// The executable next to the test bundle (TorchTests depends on it, so SwiftPM builds it).
    static var checkBinary: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("process-group-check"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("process-group-check"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// A port no one listens on now: the kernel's choice for a socket bound to port 0.
    static func freePort() throws -> Int {
        let (descriptor, port) = try boundSocket()
        close(descriptor)
        return port
    }

    /// A loopback socket bound to a port of the kernel's choice, and the port; the caller closes it.
    static func boundSocket() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TorchError.invalidArgument("socket() failed") }
        var closeOnError = true
        defer { if closeOnError { close(descriptor) } }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TorchError.invalidArgument("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw TorchError.invalidArgument("getsockname() failed") }
        closeOnError = false
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Starts one process per argument list, all at once, and waits for them (each is killed
    /// after `limit` seconds so that a hang fails the test instead of stalling it).
    static func runRanks(_ argumentLists: [[String]], limit: Double = 60) throws -> [RankResult] {
        var started: [(Process, URL, URL, Date)] = []
        defer {
            for (process, output, error, _) in started {
                if process.isRunning { process.terminate() }
                try? FileManager.default.removeItem(at: output)
                try? FileManager.default.removeItem(at: error)
            }
        }
        for arguments in argumentLists {
            let process = Process()
            process.executableURL = checkBinary
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["OMP_NUM_THREADS": "1"]) { _, new in new }
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-out-\(UUID().uuidString)")
            let error = FileManager.default.temporaryDirectory.appendingPathComponent("pg-err-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            _ = FileManager.default.createFile(atPath: error.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = try FileHandle(forWritingTo: error)
            try process.run()
            started.append((process, output, error, Date()))
        }
        var results: [RankResult] = []
        for (process, output, error, start) in started {
            while process.isRunning && Date().timeIntervalSince(start) < limit { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            let seconds = Date().timeIntervalSince(start)
            results.append(
                RankResult(
                    status: process.terminationStatus, output: try String(contentsOf: output, encoding: .utf8),
                    error: try String(contentsOf: error, encoding: .utf8), seconds: seconds))
        }
        return results
    }

    static func ranks(_ worldSize: Int, port: Int, timeout: Double, extra: [Int: [String]] = [:]) -> [[String]] {
        (0..<worldSize).map { rank in
            ["--rank", "\(rank)", "--world-size", "\(worldSize)", "--port", "\(port)", "--timeout", "\(timeout)"] + (extra[rank] ?? [])
        }
    }

    func floats(_ value: Any?) -> [Float]? { (value as? [Any])?.compactMap { ($0 as? NSNumber)?.floatValue } }

    @Test(arguments: [2, 3]) func collectivesOverLoopback(worldSize: Int) throws {
        let results = try Self.runRanks(Self.ranks(worldSize, port: Self.freePort(), timeout: 30))
        let world = Float(worldSize)
        let rankSum: Float = world * (world - 1) / 2
        let expectedFirst: [Float] = [Float](repeating: rankSum + world, count: 3)
        let expectedSecond: [Float] = [0, 1, 2, 3, 4].map { (value: Float) -> Float in value * rankSum }
        let expectedMean: [Float] = [rankSum / world, rankSum / world]
        let expectedGathered: [[Float]?] = (0..<worldSize).map { (rank: Int) -> [Float]? in [Float(rank), Float(10 * rank)] }
        for (rank, result) in results.enumerated() {
            #expect(result.status == 0, "rank \(rank): \(result.error)")
            let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
            let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
            let json = try #require(parsed as? [String: Any], "rank \(rank): \(result.output)")
            let jsonRank = json["rank"] as? Int
            let jsonWorld = json["world_size"] as? Int
            #expect(jsonRank == rank)
            #expect(jsonWorld == worldSize)
            let broadcast: [Float]? = floats(json["broadcast"])
            #expect(broadcast == [1.5, -2, 3.25, 4])
            // Sum over ranks of (rank + 1), and of rank * [0, 1, 2, 3, 4]: each tensor of the bucket on its own.
            let first: [Float]? = floats(json["allreduce_first"])
            let second: [Float]? = floats(json["allreduce_second"])
            let mean: [Float]? = floats(json["allreduce_mean"])
            #expect(first == expectedFirst)
            #expect(second == expectedSecond)
            #expect(mean == expectedMean)
            let gatheredValues = try #require(json["allgather"] as? [Any])
            let gathered: [[Float]?] = gatheredValues.map { floats($0) }
            #expect(gathered == expectedGathered)
            let large: Float? = (json["allreduce_1m_first"] as? NSNumber)?.floatValue
            #expect(large == world)
        }
    }

    @Test func aMissingRankEndsTheOtherWithinTheTimeout() throws {
        // WORLD_SIZE 2 but only rank 0 arrives: the store's wait for clients times out.
        let results = try Self.runRanks([Self.ranks(2, port: Self.freePort(), timeout: 3)[0]])
        let result = try #require(results.first)
        #expect(result.status == 1)
        #expect(result.error.contains("rank 0 of world size 2"), "\(result.error)")
        #expect(result.error.contains("Timed out") && result.error.contains("1/2 clients joined"), "\(result.error)")
        #expect(result.seconds < 20, "took \(result.seconds) s")
    }

    @Test func aRankThatDiesEndsTheOthers() throws {
        // Rank 2 leaves right after joining: the others' first collective fails, naming their rank.
        let results = try Self.runRanks(Self.ranks(3, port: Self.freePort(), timeout: 3, extra: [2: ["--exit-after-join"]]))
        #expect(results[2].status == 0, "\(results[2].error)")
        for rank in 0..<2 {
            #expect(results[rank].status == 1, "rank \(rank): \(results[rank].output)")
            #expect(results[rank].error.contains("rank \(rank) of world size 3"), "\(results[rank].error)")
            #expect(results[rank].seconds < 20, "rank \(rank) took \(results[rank].seconds) s")
        }
    }

    @Test func aStuckRankEndsTheOthersAfterTheTimeout() throws {
        // Rank 1 stays connected but sends nothing for 8 s: rank 0's broadcast times out at 3 s
        // (without the timeout it would succeed once rank 1 wakes).
        let results = try Self.runRanks(Self.ranks(2, port: Self.freePort(), timeout: 3, extra: [1: ["--stall-after-join", "8"]]))
        #expect(results[0].status == 1, "\(results[0].output)")
        #expect(results[0].error.contains("ProcessGroup.broadcast(root: 0) (rank 0 of world size 2, timeout 3.0 s)"), "\(results[0].error)")
        #expect(results[0].error.contains("Operation timed out"), "\(results[0].error)")
        #expect(results[0].seconds < 8, "rank 0 took \(results[0].seconds) s")
    }

    @Test func aPortInUseIsNamed() throws {
        let (descriptor, port) = try Self.boundSocket()
        defer { close(descriptor) }
        #expect(listen(descriptor, 1) == 0)
        let results = try Self.runRanks([Self.ranks(2, port: port, timeout: 3)[0]])
        #expect(results[0].status == 1)
        #expect(results[0].error.contains("rank 0 of world size 2, 127.0.0.1:\(port)"), "\(results[0].error)")
        #expect(results[0].error.contains("address already in use"), "\(results[0].error)")
    }

    @Test func aRankOutsideTheWorldIsRefused() throws {
        #expect(ProcessGroup.isAvailable)
        #expect(throws: TorchError.invalidArgument("ProcessGroup(rank 2 of world size 2, 127.0.0.1:29500): the rank must be in 0..<2")) {
            try ProcessGroup(rank: 2, worldSize: 2, masterPort: 29500)
        }
    }

    static let torchrun = ["RANK": "1", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_ADDR": "10.0.0.2", "MASTER_PORT": "29500"]

    @Test func torchrunsVariablesAreRead() throws {
        #expect(try DistributedEnvironment.parse(Self.torchrun)
            == DistributedEnvironment(rank: 1, worldSize: 4, localRank: 1, masterAddress: "10.0.0.2", masterPort: 29500))
        var noLocalRank = Self.torchrun
        noLocalRank["LOCAL_RANK"] = nil
        #expect(try DistributedEnvironment.parse(noLocalRank).localRank == 1)
    }

    @Test func badVariablesAreNamedWithTheirValue() throws {
        func message(_ changes: [String: String?]) -> String {
            var environment = Self.torchrun
            for (name, value) in changes { environment[name] = value }
            do {
                _ = try ProcessGroup.fromEnvironment(environment)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(["WORLD_SIZE": "two"]) == "the environment variable WORLD_SIZE=\"two\" is not a positive integer")
        #expect(message(["WORLD_SIZE": "0"]) == "the environment variable WORLD_SIZE=\"0\" is not a positive integer")
        #expect(message(["RANK": "4"]) == "the environment variable RANK=\"4\" is not a rank in 0..<WORLD_SIZE (4)")
        #expect(message(["MASTER_PORT": nil]).hasPrefix("the environment variable MASTER_PORT is not set"))
        #expect(message(["MASTER_PORT": "70000"]) == "the environment variable MASTER_PORT=\"70000\" is not a port in 1...65535")
        #expect(message(["MASTER_ADDR": ""]) == "the environment variable MASTER_ADDR is empty")
        #expect(message(["LOCAL_RANK": "-1"]) == "the environment variable LOCAL_RANK=\"-1\" is not a rank in 0..<WORLD_SIZE (4)")
    }
}
