import Foundation
import Testing
@testable import Torch

/// Expected values written by tools/make_checkpoint_fixtures.py with python3-torch and safetensors.
private struct ExpectedTensor: Decodable {
    let dtype: String
    let shape: [Int]
    let values: [Double]
}

private func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/checkpoint"))
    return url.path
}

private func expected() throws -> [String: ExpectedTensor] {
    try JSONDecoder().decode([String: ExpectedTensor].self, from: Data(contentsOf: URL(fileURLWithPath: try fixture("expected.json"))))
}

private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-checkpoint-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Writes `bytes` to a new file in `folder` and returns its path.
private func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> String {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}

private func checkMatches(_ tensors: [String: Tensor], _ reference: [String: ExpectedTensor], skipping: Set<String> = []) throws {
    #expect(Set(tensors.keys) == Set(reference.keys).subtracting(skipping))
    for (name, tensor) in tensors {
        let want = try #require(reference[name])
        #expect(try tensor.dtype.description == want.dtype, "\(name)")
        #expect(try tensor.shape == want.shape, "\(name)")
        #expect(try tensor.doubles() == want.values, "\(name) values differ")
    }
}

@Suite struct CheckpointTests {
    @Test func readsAStateDictWrittenByTorchSave() throws {
        let tensors = try PyTorchCheckpoint.read(path: try fixture("state_dict.bin"))
        try checkMatches(tensors, try expected())
        // Views come out right: the slice of `big` and the tied copy.
        #expect(try tensors["view_of_big"]?.doubles() == tensors["big"]?.slice(dim: 0, start: 2, end: 4).slice(dim: 1, start: 1, end: 4).doubles())
        #expect(try tensors["tied"]?.doubles() == tensors["big"]?.doubles())
        #expect(try Checkpoint.read(path: try fixture("state_dict.bin")).count == tensors.count)
    }

    @Test func readsAFileWrittenByTheSafetensorsPackage() throws {
        let file = try SafetensorsFile(path: try fixture("tensors.safetensors"))
        #expect(file.metadata == ["format": "pt", "note": "arena fixture"])
        #expect(file.info("half")?.dtype == .float16)
        #expect(file.info("missing") == nil)
        try checkMatches(try file.tensors(), try expected(), skipping: ["tied"])
        #expect(throws: CheckpointError.missingTensor(file: file.path, tensor: "nope")) { try file.tensor("nope") }
    }

    /// Swift writes, Swift reads back, for every dtype; and the bytes equal the Python package's
    /// file for the same tensors and metadata.
    @Test func writesWhatThePythonPackageWrites() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try fixture("tensors.safetensors")
        let original = try SafetensorsFile(path: source)
        let tensors = try original.names.map { (name: $0, tensor: try original.tensor($0)) }
        let path = folder.appendingPathComponent("copy.safetensors").path
        try Safetensors.write(tensors, metadata: original.metadata, to: path)
        let back = try Safetensors.read(path: path)
        try checkMatches(back, try expected(), skipping: ["tied"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: source)))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["copy.safetensors"])
    }

    @Test func everyDTypeRoundTrips() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try Tensor([1.5, -2, 0, 3.25, 7, -0.5] as [Float], shape: [2, 3])
        var tensors: [(name: String, tensor: Tensor)] = []
        for dtype in DType.allCases { tensors.append((name: "t_\(dtype)", tensor: try base.to(dtype))) }
        let path = folder.appendingPathComponent("all.safetensors").path
        try Safetensors.write(tensors, to: path)
        let back = try Safetensors.read(path: path)
        for (name, tensor) in tensors {
            let read = try #require(back[name])
            #expect(try read.dtype == tensor.dtype)
            #expect(try read.bytes() == tensor.bytes(), "\(name)")
        }
        #expect(throws: CheckpointError.self) { try Safetensors.write([(name: "a", tensor: base), (name: "a", tensor: base)], to: path) }
    }

    /// Cut at several points, the file gives a typed error, never a crash.
    @Test(arguments: [0, 4, 8, 20, 200, 1100])
    func truncatedSafetensorsFail(_ length: Int) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try fixture("tensors.safetensors"))))
        let path = try write(Array(bytes.prefix(length)), "cut.safetensors", in: folder)
        #expect {
            try SafetensorsFile(path: path)
        } throws: { error in
            guard let error = error as? CheckpointError else { return false }
            switch error {
            case .truncated, .corrupt: return error.description.hasPrefix(path)
            default: return false
            }
        }
    }

    @Test func malformedSafetensorsHeadersFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(header: String, data: [UInt8] = [UInt8](repeating: 0, count: 16), declared: UInt64? = nil) throws -> String {
            var bytes: [UInt8] = []
            let headerBytes = Array(header.utf8)
            var length = (declared ?? UInt64(headerBytes.count)).littleEndian
            withUnsafeBytes(of: &length) { bytes += $0 }
            return try write(bytes + headerBytes + data, "bad-\(UUID().uuidString).safetensors", in: folder)
        }
        let cases: [(String, String, (CheckpointError) -> Bool)] = [
            ("not JSON", try file(header: "{\"a\": "), { if case .corrupt = $0 { return true }; return false }),
            ("header longer than the file", try file(header: "{}", declared: 4096), { if case .truncated = $0 { return true }; return false }),
            ("implausible header length", try file(header: "{}", declared: UInt64(1) << 40), { if case .corrupt = $0 { return true }; return false }),
            ("offsets past the data", try file(header: #"{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#), { if case .truncated = $0 { return true }; return false }),
            ("byte count of the shape", try file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#), { if case .invalidTensor(_, "w", _) = $0 { return true }; return false }),
            ("unordered offsets", try file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#), { if case .invalidTensor(_, "w", _) = $0 { return true }; return false }),
            ("overlapping tensors", try file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#), { if case .invalidTensor = $0 { return true }; return false }),
            ("unknown dtype", try file(header: #"{"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#), { if case .unsupportedDType(_, "w", "F8_E4M3") = $0 { return true }; return false }),
            ("negative size", try file(header: #"{"w":{"dtype":"U8","shape":[-4],"data_offsets":[0,4]}}"#), { if case .invalidTensor = $0 { return true }; return false }),
        ]
        for (what, path, matches) in cases {
            do {
                _ = try SafetensorsFile(path: path)
                Issue.record("\(what): no error")
            } catch let error as CheckpointError {
                #expect(matches(error), "\(what): \(error)")
                #expect(error.description.hasPrefix(path), "\(what): the message names the file: \(error)")
            }
        }
        #expect(throws: CheckpointError.self) { try SafetensorsFile(path: folder.appendingPathComponent("absent.safetensors").path) }
    }

    @Test func brokenTorchArchivesFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try fixture("state_dict.bin"))))
        // Cut off: the central directory is gone.
        let cut = try write(Array(bytes.prefix(bytes.count / 2)), "cut.bin", in: folder)
        #expect(throws: CheckpointError.self) { try PyTorchCheckpoint.read(path: cut) }
        // A storage entry renamed away: the tensor that needs it is named in the error.
        var renamed = bytes
        let needle = Array("data/0".utf8)
        for start in 0..<(renamed.count - needle.count) where Array(renamed[start..<(start + needle.count)]) == needle {
            renamed[start + needle.count - 1] = UInt8(ascii: "Z")
        }
        let missing = try write(renamed, "missing.bin", in: folder)
        #expect {
            try PyTorchCheckpoint.read(path: missing)
        } throws: { error in
            guard case .invalidTensor(_, _, let detail)? = error as? CheckpointError else { return false }
            return detail.contains("is not in the archive")
        }
        // An opcode torch.save never writes, in place of the first one after PROTO.
        var opcode = bytes
        let pickle = Array("data.pkl".utf8)
        if let start = (0..<(opcode.count - pickle.count)).first(where: { Array(opcode[$0..<($0 + pickle.count)]) == pickle }) {
            // The pickle starts with PROTO 2 (0x80 0x02) after the entry's name and padding.
            let data = try #require((start..<(opcode.count - 1)).first { opcode[$0] == 0x80 && opcode[$0 + 1] == 0x02 })
            opcode[data + 2] = 0x01 // an opcode outside the subset torch.save writes
        }
        let badOpcode = try write(opcode, "opcode.bin", in: folder)
        #expect {
            try PyTorchCheckpoint.read(path: badOpcode)
        } throws: { error in
            guard case .unsupported(_, let detail)? = error as? CheckpointError else { return false }
            return detail.contains("opcode 0x1")
        }
        let notZip = try write(Array("hello, not a checkpoint".utf8), "text.bin", in: folder)
        #expect(throws: CheckpointError.self) { try PyTorchCheckpoint.read(path: notZip) }
        let legacy = try write([0x80, 0x02, 0x8A, 0x0A], "legacy.bin", in: folder)
        #expect {
            try PyTorchCheckpoint.read(path: legacy)
        } throws: { error in
            (error as? CheckpointError)?.description.contains("legacy") == true
        }
    }
}
