import Foundation
import Testing
@testable import Torch

// Fixtures: tools/make_checkpoint_fixtures.py (torch 2.15.0 from PyPI, safetensors 0.4.3).

/// One tensor of expected.json.
private struct ExpectedTensor: Decodable {
    let dtype: String
    let shape: [Int]
    let values: [Double]
}

private struct ExpectedFile: Decodable {
    let state_dict: [String: ExpectedTensor]
    let nested: [String: ExpectedTensor]
}

private func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/checkpoint"))
    return url.path
}

private func fixtureBytes(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: try fixture(name))))
}

private func expected() throws -> ExpectedFile {
    try JSONDecoder().decode(ExpectedFile.self, from: Data(contentsOf: URL(fileURLWithPath: try fixture("expected.json"))))
}

/// A new empty folder, removed by the caller.
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

private func checkMatches(_ tensors: [String: Tensor], _ reference: [String: ExpectedTensor], skipping: Set<String> = [],
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(Set(tensors.keys) == Set(reference.keys).subtracting(skipping), sourceLocation: sourceLocation)
    for (name, tensor) in tensors {
        let want = try #require(reference[name], sourceLocation: sourceLocation)
        #expect(try tensor.dtype.description == want.dtype, "\(name)", sourceLocation: sourceLocation)
        #expect(try tensor.shape == want.shape, "\(name)", sourceLocation: sourceLocation)
        #expect(try tensor.doubles() == want.values, "\(name) values differ", sourceLocation: sourceLocation)
    }
}

/// Runs `body` and returns the CheckpointError it throws (nil, with an issue recorded, otherwise).
private func checkpointError(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        Issue.record("\(what): no error", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("\(what): \(error) is not a CheckpointError", sourceLocation: sourceLocation)
    }
    return nil
}

/// The index of the first occurrence of `needle` in `haystack`.
private func find(_ needle: String, in haystack: [UInt8], from start: Int = 0) -> Int? {
    let pattern = Array(needle.utf8)
    guard haystack.count >= pattern.count else { return nil }
    return (start...(haystack.count - pattern.count)).first { haystack[$0..<($0 + pattern.count)].elementsEqual(pattern) }
}

@Suite struct CheckpointTests {
    // MARK: Files written by Python

    @Test func readsAStateDictWrittenByTorchSave() throws {
        let path = try fixture("state_dict.bin")
        let tensors = try PyTorchCheckpoint.read(path: path)
        try checkMatches(tensors, try expected().state_dict)
        #expect(try Checkpoint.read(path: path).count == tensors.count)
        // Views are rebuilt from the storage with the file's offset and strides.
        let big = try #require(tensors["big"])
        #expect(try tensors["view_of_big"]?.doubles() == big.slice(dim: 0, start: 2, end: 4).slice(dim: 1, start: 1, end: 4).doubles())
        #expect(try tensors["row_of_big"]?.doubles() == big.slice(dim: 0, start: 3, end: 4).doubles())
        // Tied weights share one storage, as in PyTorch; views of part of a storage own theirs.
        let row = try #require(try tensors["row_of_big"]?.doubles())
        try big.fill(0)
        #expect(try tensors["tied"]?.doubles() == [Double](repeating: 0, count: 30))
        #expect(try tensors["row_of_big"]?.doubles() == row)
        #expect(try tensors["view_of_big"]?.doubles().contains { $0 != 0 } == true)
    }

    /// The same archive with every zip64 record (end record, locator, extra fields), as archives
    /// over 4 GiB have them.
    @Test func readsAZip64Archive() throws {
        try checkMatches(try PyTorchCheckpoint.read(path: try fixture("state_dict_zip64.bin")), try expected().state_dict)
    }

    @Test func flattensNestedDicts() throws {
        let tensors = try Checkpoint.read(path: try fixture("nested.pt"))
        try checkMatches(tensors, try expected().nested)
        #expect(tensors["head.inner.scale"] != nil)
    }

    @Test func readsAFileWrittenByTheSafetensorsPackage() throws {
        let path = try fixture("tensors.safetensors")
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.info("half")?.dtype == .float16)
        #expect(file.info("2.num_batches_tracked")?.shape == [])
        #expect(file.info("empty")?.shape == [0, 3])
        #expect(file.info("missing") == nil)
        // Names in data order: the package lays tensors out by its dtype enum, descending, then
        // by name. F32 before I32 and I8 before U8 before BOOL is where ordering by element size
        // and name goes wrong.
        let dtypes = file.names.compactMap { file.info($0)?.dtype }
        let runs = dtypes.enumerated().filter { $0.offset == 0 || dtypes[$0.offset - 1] != $0.element }.map(\.element)
        #expect(runs == [.int64, .float64, .float32, .int32, .bfloat16, .float16, .int16, .int8, .uint8, .bool])
        for dtype in runs {
            let names = file.names.filter { file.info($0)?.dtype == dtype }
            #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(dtype): \(names)")
        }
        try checkMatches(try file.tensors(), try expected().state_dict, skipping: ["tied"])
        try checkMatches(try Checkpoint.read(path: path), try expected().state_dict, skipping: ["tied"])
        #expect(throws: CheckpointError.missingTensor(file: path, tensor: "nope")) { try file.tensor("nope") }
    }

    // MARK: Writing

    /// Swift writes the bytes the Python package wrote for the same tensors and metadata, in
    /// whatever order the tensors are given.
    @Test func writesWhatThePythonPackageWrites() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = try fixture("tensors.safetensors")
        let original = try SafetensorsFile(path: source)
        let tensors = try original.names.map { (name: $0, tensor: try original.tensor($0)) }
        let python = try fixtureBytes("tensors.safetensors")
        for (index, order) in [tensors, tensors.reversed(), tensors.sorted { $0.name < $1.name }].enumerated() {
            let path = folder.appendingPathComponent("copy\(index).safetensors").path
            try Safetensors.write(order, metadata: original.metadata, to: path)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == python, "order \(index)")
        }
        // Overwriting an existing file leaves no temporary file behind.
        let path = folder.appendingPathComponent("copy0.safetensors").path
        try Safetensors.write(tensors, metadata: original.metadata, to: path)
        try checkMatches(try Safetensors.read(path: path), try expected().state_dict, skipping: ["tied"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["copy0.safetensors", "copy1.safetensors", "copy2.safetensors"])
    }

    /// Names that need JSON escapes or are not ASCII, and names of one dtype that sort
    /// differently as UTF-8 bytes than case-insensitively: the same bytes as the Python package.
    @Test func writesEscapedNamesAsThePythonPackageDoes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try SafetensorsFile(path: try fixture("names.safetensors"))
        #expect(original.names.count == 7)
        #expect(original.info("q\n\"\u{01}\u{08}\u{0C}\u{7F}/\\") != nil)
        #expect(original.metadata == ["note": "tab\there \\ é"])
        let tensors = try original.names.reversed().map { (name: $0, tensor: try original.tensor($0)) }
        let path = folder.appendingPathComponent("names.safetensors").path
        try Safetensors.write(tensors, metadata: original.metadata, to: path)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == (try fixtureBytes("names.safetensors")))
    }

    @Test func everyDTypeRoundTrips() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try Tensor([1.5, -2, 0, 3.25, 7, -0.5] as [Float], shape: [2, 3])
        var tensors: [(name: String, tensor: Tensor)] = []
        for dtype in DType.allCases {
            tensors.append((name: "t_\(dtype)", tensor: try base.to(dtype)))
            tensors.append((name: "transposed_\(dtype)", tensor: try base.to(dtype).transpose(0, 1)))
        }
        tensors.append((name: "scalar", tensor: try Tensor.scalar(4.25, dtype: .float64)))
        tensors.append((name: "empty", tensor: try Tensor.zeros([0, 5], dtype: .int16)))
        tensors.append((name: "naïve \"quoted\"\n", tensor: try Tensor([1, 2] as [Int64])))
        let metadata = ["format": "pt", "b": "tab\there", "control": "\u{01}\u{08}\u{0C}\\", "é": "ü"]
        let path = folder.appendingPathComponent("all.safetensors").path
        try Safetensors.write(tensors, metadata: metadata, to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == metadata)
        #expect(Set(file.names) == Set(tensors.map(\.name)))
        for (name, tensor) in tensors {
            let read = try file.tensor(name)
            #expect(try read.dtype == tensor.dtype, "\(name)")
            #expect(try read.shape == tensor.shape, "\(name)")
            #expect(try read.bytes() == tensor.bytes(), "\(name)")
        }
        let twice = checkpointError("a name given twice") { try Safetensors.write([(name: "a", tensor: base), (name: "a", tensor: base)], to: path) }
        #expect(twice == .cannotWrite(file: path, reason: "the tensor name \"a\" is given twice"))
        let reserved = checkpointError("__metadata__ as a name") { try Safetensors.write([(name: "__metadata__", tensor: base)], to: path) }
        guard case .cannotWrite? = reserved else { Issue.record("\(String(describing: reserved))"); return }
        // The failed writes left the earlier file whole and no temporary file.
        #expect(try SafetensorsFile(path: path).names.count == tensors.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["all.safetensors"])
        let nowhere = checkpointError("a missing folder") { try Safetensors.write([(name: "a", tensor: base)], to: folder.path + "/absent/x.safetensors") }
        guard case .cannotWrite? = nowhere else { Issue.record("\(String(describing: nowhere))"); return }
    }

    // MARK: Broken safetensors files

    /// Cut inside the 8-byte length, inside the header, and inside the data: a typed error that
    /// names the file and says where it ends, never a crash.
    @Test func truncatedSafetensorsFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = try fixtureBytes("tensors.safetensors")
        let dataStart = 8 + bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        for length in [0, 1, 7, 8, 9, dataStart / 2, dataStart - 1, dataStart, dataStart + 1, bytes.count - 1] {
            let path = try write(Array(bytes.prefix(length)), "cut\(length).safetensors", in: folder)
            let error = checkpointError("cut at \(length)") { _ = try SafetensorsFile(path: path) }
            guard case .truncated(let file, _)? = error else {
                Issue.record("cut at \(length): \(String(describing: error))")
                continue
            }
            #expect(file == path)
            #expect(error?.description.contains("ends at byte \(length)") == true, "\(String(describing: error))")
        }
    }

    @Test func malformedSafetensorsHeadersFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(header: String, data: Int = 16, declared: UInt64? = nil) throws -> String {
            var bytes: [UInt8] = []
            let headerBytes = Array(header.utf8)
            var length = (declared ?? UInt64(headerBytes.count)).littleEndian
            withUnsafeBytes(of: &length) { bytes += $0 }
            return try write(bytes + headerBytes + [UInt8](repeating: 0, count: data), "bad-\(UUID().uuidString).safetensors", in: folder)
        }
        func corrupt(_ error: CheckpointError) -> Bool { if case .corrupt = error { return true }; return false }
        func truncated(_ error: CheckpointError) -> Bool { if case .truncated = error { return true }; return false }
        func invalid(_ tensor: String, _ words: String) -> (CheckpointError) -> Bool {
            { if case .invalidTensor(_, tensor, let detail) = $0 { return detail.contains(words) }; return false }
        }
        let w = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#
        let cases: [(String, String, (CheckpointError) -> Bool)] = [
            ("not JSON", try file(header: "{\"a\": "), corrupt),
            ("JSON but not an object", try file(header: "[1, 2]", data: 0), corrupt),
            ("header longer than the file", try file(header: "{}", declared: 4096), truncated),
            ("implausible header length", try file(header: "{}", declared: UInt64(1) << 40), corrupt),
            ("offsets past the data", try file(header: #"{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#), truncated),
            ("byte count of the shape", try file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#),
             invalid("w", "hold 16 bytes but shape [3] of F32 needs 12")),
            ("end before begin", try file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#), invalid("w", "end before")),
            ("overlapping tensors", try file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#),
             invalid("b", "overlap")),
            ("a gap between tensors", try file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#),
             invalid("b", "gap")),
            ("bytes after the last tensor", try file(header: w + "}", data: 20), corrupt),
            ("unknown dtype", try file(header: #"{"w":{"dtype":"F8_E4M3","shape":[16],"data_offsets":[0,16]}}"#),
             { if case .unsupportedDType(_, "w", "F8_E4M3") = $0 { return true }; return false }),
            ("no dtype", try file(header: #"{"w":{"shape":[4],"data_offsets":[0,16]}}"#), invalid("w", "dtype")),
            ("negative size", try file(header: #"{"w":{"dtype":"U8","shape":[-16],"data_offsets":[0,16]}}"#), invalid("w", "shape")),
            ("a boolean size", try file(header: #"{"w":{"dtype":"U8","shape":[true],"data_offsets":[0,16]}}"#), invalid("w", "shape")),
            ("a fractional offset", try file(header: #"{"w":{"dtype":"U8","shape":[16],"data_offsets":[0,16.5]}}"#), invalid("w", "data_offsets")),
            ("an overflowing shape", try file(header: #"{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#), invalid("w", "shape")),
            ("metadata that is not strings", try file(header: #"{"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#), corrupt),
        ]
        for (what, path, matches) in cases {
            guard let error = checkpointError(what, { _ = try SafetensorsFile(path: path) }) else { continue }
            #expect(matches(error), "\(what): \(error)")
            #expect(error.description.hasPrefix(path + ": "), "\(what): the message names the file: \(error)")
        }
        // The good variant of the same file reads.
        #expect(try SafetensorsFile(path: try file(header: w + "}")).names == ["w"])
        let absent = folder.appendingPathComponent("absent.safetensors").path
        #expect(checkpointError("absent") { _ = try SafetensorsFile(path: absent) }.map { if case .cannotOpen = $0 { true } else { false } } == true)
        #expect(checkpointError("a folder") { _ = try SafetensorsFile(path: folder.path) }.map { if case .cannotOpen = $0 { true } else { false } } == true)
    }

    // MARK: Broken torch files

    @Test func truncatedTorchArchivesFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["state_dict.bin", "state_dict_zip64.bin"] {
            let bytes = try fixtureBytes(name)
            for length in [0, 3, 100, bytes.count / 2, bytes.count - 30, bytes.count - 1] {
                let path = try write(Array(bytes.prefix(length)), "cut\(length).bin", in: folder)
                let error = checkpointError("\(name) cut at \(length)") { _ = try PyTorchCheckpoint.read(path: path) }
                switch error {
                case .truncated(path, _)?, .corrupt(path, _)?: break
                default: Issue.record("\(name) cut at \(length): \(String(describing: error))")
                }
            }
        }
    }

    @Test func brokenTorchArchivesFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = try fixtureBytes("state_dict.bin")

        // A storage entry renamed away (in the local header and the central directory): the
        // tensor that needs it is named in the error.
        var renamed = bytes
        var from = 0
        while let start = find("state_dict/data/0", in: renamed, from: from) {
            let end = start + "state_dict/data/0".utf8.count
            if end == renamed.count || !(48...57).contains(renamed[end]) { renamed[end - 1] = UInt8(ascii: "Z") }
            from = end
        }
        let missingPath = try write(renamed, "missing.bin", in: folder)
        let missing = checkpointError("missing storage") { _ = try PyTorchCheckpoint.read(path: missingPath) }
        guard case .invalidTensor(missingPath, let tensor, let detail)? = missing else { Issue.record("\(String(describing: missing))"); return }
        #expect(detail.contains("state_dict/data/0 is not in the archive"))
        #expect(try expected().state_dict[tensor] != nil, "names a tensor of the file: \(tensor)")

        // An opcode torch.save never writes, in place of the one after PROTO 2 (0x80 0x02).
        let pickle = try #require(find("state_dict/data.pkl", in: bytes))
        let proto = try #require((pickle..<(bytes.count - 1)).first { bytes[$0] == 0x80 && bytes[$0 + 1] == 0x02 })
        var opcode = bytes
        opcode[proto + 2] = 0x01
        let opcodePath = try write(opcode, "opcode.bin", in: folder)
        let unknown = checkpointError("unknown opcode") { _ = try PyTorchCheckpoint.read(path: opcodePath) }
        #expect(unknown == .unknownPickleOpcode(file: opcodePath, opcode: 0x01, offset: 2))
        #expect(unknown?.description.contains("opcode 0x01") == true)

        // A global outside the allow-list is refused by name, never looked up.
        var global = bytes
        let name = try #require(find("collections\nOrderedDict\n", in: global))
        global.replaceSubrange(name..<(name + 24), with: Array("posix\nsystem\n\n\n\n\n\n\n\n\n\n\n\n".utf8).prefix(24))
        let globalPath = try write(global, "global.bin", in: folder)
        #expect(checkpointError("unknown global") { _ = try PyTorchCheckpoint.read(path: globalPath) }
            == .unknownPickleGlobal(file: globalPath, global: "posix.system"))

        let notZip = try write(Array("hello, not a checkpoint".utf8), "text.bin", in: folder)
        guard case .corrupt? = checkpointError("not a zip", { _ = try PyTorchCheckpoint.read(path: notZip) }) else { Issue.record("not a zip"); return }
        let legacyPath = try write([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19], "legacy.bin", in: folder)
        let legacy = checkpointError("legacy") { _ = try PyTorchCheckpoint.read(path: legacyPath) }
        guard case .unsupported(legacyPath, let legacyDetail)? = legacy else { Issue.record("\(String(describing: legacy))"); return }
        #expect(legacyDetail.contains("legacy"))
        // Without a known extension, Checkpoint.read goes by content.
        let legacyNoExtension = try write(Array(try Data(contentsOf: URL(fileURLWithPath: legacyPath))), "legacy", in: folder)
        guard case .unsupported(legacyNoExtension, _)? = checkpointError("legacy by content", { _ = try Checkpoint.read(path: legacyNoExtension) }) else {
            Issue.record("legacy by content"); return
        }
        let zipNoExtension = try write(bytes, "weights", in: folder)
        #expect(try Checkpoint.read(path: zipNoExtension).count == expected().state_dict.count)
        let safetensorsNoExtension = try write(try fixtureBytes("tensors.safetensors"), "tensors", in: folder)
        #expect(try Checkpoint.read(path: safetensorsNoExtension).count == expected().state_dict.count - 1)
    }

    // MARK: Hand-made archives

    /// Archives with one pickle and chosen storages, for what byte-patching the fixture cannot reach.
    @Test func inconsistentTensorsFail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let floats = [UInt8](repeating: 0, count: 24) // storage "0": 6 float32
        func archive(_ pickle: [UInt8], storages: [String: [UInt8]] = ["0": floats], method: UInt16 = 0) throws -> String {
            try write(ZipBuilder.archive([("a/data.pkl", pickle)] + storages.sorted { $0.key < $1.key }.map { ("a/data/\($0.key)", $0.value) }, method: method),
                      "\(UUID().uuidString).bin", in: folder)
        }
        func read(_ path: String) -> CheckpointError? { checkpointError(path) { _ = try PyTorchCheckpoint.read(path: path) } }

        // The hand-made archive itself reads: a 2 x 3 transposed view of a 6-element storage.
        let good = try archive(PickleBuilder.stateDict(["w": PickleBuilder.tensor(size: [3, 2], stride: [1, 3])]))
        let tensors = try PyTorchCheckpoint.read(path: good)
        #expect(try tensors["w"]?.shape == [3, 2])

        let past = try archive(PickleBuilder.stateDict(["w": PickleBuilder.tensor(offset: 1, size: [2, 3], stride: [3, 1])]))
        guard case .invalidTensor(past, "w", let detail)? = read(past) else { Issue.record("past the storage"); return }
        #expect(detail.contains("reach element 6 of a storage of 6 elements"))

        let short = try archive(PickleBuilder.stateDict(["w": PickleBuilder.tensor(size: [6], stride: [1])]), storages: ["0": [0, 0, 0, 0]])
        guard case .invalidTensor(short, "w", let shortDetail)? = read(short) else { Issue.record("short storage"); return }
        #expect(shortDetail.contains("has 4 bytes but 6 float32 elements need 24"))

        let negative = try archive(PickleBuilder.stateDict(["w": PickleBuilder.tensor(size: [-1], stride: [1])]))
        guard case .invalidTensor(negative, "w", _)? = read(negative) else { Issue.record("negative size"); return }

        let rank = try archive(PickleBuilder.stateDict(["w": PickleBuilder.tensor(size: [2, 3], stride: [1])]))
        guard case .invalidTensor(rank, "w", _)? = read(rank) else { Issue.record("sizes and strides differ in count"); return }

        let compressed = try archive(PickleBuilder.stateDict(["w": PickleBuilder.tensor(size: [6], stride: [1])]), method: 8)
        guard case .unsupported(compressed, let compressedDetail)? = read(compressed) else { Issue.record("compressed"); return }
        #expect(compressedDetail.contains("compressed"))

        let notTensor = try archive(PickleBuilder.stateDict(["step": PickleBuilder.int(3)]))
        guard case .unsupported(notTensor, let notTensorDetail)? = read(notTensor) else { Issue.record("an int"); return }
        #expect(notTensorDetail.contains("\"step\" holds a int"))

        let notDict = try archive(PickleBuilder.proto + PickleBuilder.tensor(size: [6], stride: [1]) + [0x2E])
        guard case .unsupported(notDict, _)? = read(notDict) else { Issue.record("a lone tensor"); return }

        let cutPickle = try archive(Array(PickleBuilder.stateDict(["w": PickleBuilder.tensor(size: [6], stride: [1])]).dropLast(3)))
        guard case .truncated(cutPickle, _)? = read(cutPickle) else { Issue.record("a cut pickle"); return }

        // A dict that contains itself (BINGET of its own memo): refused, not an endless recursion.
        let loop = try archive(PickleBuilder.proto + [0x7D, 0x71, 0x00] + PickleBuilder.string("self") + [0x68, 0x00, 0x73, 0x2E])
        guard case .unsupported(loop, let loopDetail)? = read(loop) else { Issue.record("a dict in itself"); return }
        #expect(loopDetail.contains("nests dicts"))

        // Ten levels of dicts, each holding the one below under eight keys (BINGET of its memo):
        // 8^10 paths from a few hundred bytes, refused after a bounded number of visits.
        var fanOut = PickleBuilder.proto + [0x7D, 0x71, 0x00]
        for level in 1...10 {
            fanOut += [0x7D, 0x71, UInt8(level), 0x28]
            for key in 0..<8 { fanOut += PickleBuilder.string("k\(key)") + [0x68, UInt8(level - 1)] }
            fanOut += [0x75]
        }
        let fan = try archive(fanOut + [0x2E])
        guard case .unsupported(fan, let fanDetail)? = read(fan) else { Issue.record("a dict shared 8^10 times"); return }
        #expect(fanDetail.contains("more often than its size allows"))
    }

    /// Dicts are shared through the memo, as Python objects are: items set after a BINPUT are
    /// seen through a later BINGET. LONG1 and BINFLOAT decode; POP (not in the subset) is refused.
    @Test func pickleReaderDecodesTheSubset() throws {
        func run(_ bytes: [UInt8]) throws -> PickleValue {
            try bytes.withUnsafeBytes { raw in
                // No release(): it would empty the containers inspected below (there is no cycle here).
                var reader = PickleReader(file: "test.pkl", bytes: raw)
                return try reader.run()
            }
        }
        // {"a": inner, "b": inner}, with inner["x"] = 7 set after inner was memoized.
        var shared = PickleBuilder.proto + [0x7D, 0x71, 0x00, 0x28]
        shared += PickleBuilder.string("a") + [0x7D, 0x71, 0x01] + PickleBuilder.string("x") + PickleBuilder.int(7) + [0x73]
        shared += PickleBuilder.string("b") + [0x68, 0x01, 0x75, 0x2E]
        guard case .dict(let outer) = try run(shared), outer.pairs.count == 2, case .dict(let inner) = outer.pairs[1].value,
              inner.pairs.count == 1, case .int(7) = inner.pairs[0].value else {
            Issue.record("the memoized dict lost its item")
            return
        }
        // [-2, 1.5]: LONG1 of one byte 0xFE, BINFLOAT big-endian.
        let list: [UInt8] = PickleBuilder.proto + [0x5D, 0x8A, 0x01, 0xFE, 0x61, 0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x61]
        guard case .list(let items) = try run(list + [0x2E]), items.items.count == 2,
              case .int(-2) = items.items[0], case .float(1.5) = items.items[1] else {
            Issue.record("LONG1 / BINFLOAT")
            return
        }
        let error = checkpointError("POP") { _ = try run(list + [0x30, 0x2E]) }
        #expect(error == .unknownPickleOpcode(file: "test.pkl", opcode: 0x30, offset: list.count))
    }
}

/// Pickle bytes as torch.save (protocol 2) writes them.
private enum PickleBuilder {
    static let proto: [UInt8] = [0x80, 0x02]

    static func string(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init) + utf8
    }

    static func int(_ value: Int) -> [UInt8] {
        value >= 0 && value < 256 ? [0x4B, UInt8(value)] : [0x4A] + withUnsafeBytes(of: Int32(value).littleEndian, Array.init)
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    static func tuple(_ items: [[UInt8]]) -> [UInt8] {
        [0x28] + items.flatMap { $0 } + [0x74]
    }

    /// `_rebuild_tensor_v2(persistent storage "0" of 6 float32, offset, size, stride, False, OrderedDict())`.
    static func tensor(offset: Int = 0, size: [Int], stride: [Int]) -> [UInt8] {
        let storage = tuple([string("storage"), global("torch", "FloatStorage"), string("0"), string("cpu"), int(6)]) + [0x51]
        let hooks = global("collections", "OrderedDict") + [0x29, 0x52]
        return global("torch._utils", "_rebuild_tensor_v2")
            + tuple([storage, int(offset), tuple(size.map(int)), tuple(stride.map(int)), [0x89], hooks]) + [0x52]
    }

    /// An OrderedDict of the given pickled values, then STOP.
    static func stateDict(_ items: [String: [UInt8]]) -> [UInt8] {
        proto + global("collections", "OrderedDict") + [0x29, 0x52]
            + [0x28] + items.sorted { $0.key < $1.key }.flatMap { string($0.key) + $0.value } + [0x75, 0x2E]
    }
}

/// A minimal zip writer (entries stored, CRC left 0, which the reader does not check).
private enum ZipBuilder {
    static func archive(_ entries: [(name: String, data: [UInt8])], method: UInt16 = 0) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(value).littleEndian, Array.init) }
        func u32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(value).littleEndian, Array.init) }
        var bytes: [UInt8] = []
        var directory: [UInt8] = []
        for (name, data) in entries {
            let offset = bytes.count
            let nameBytes = Array(name.utf8)
            let common = u16(20) + u16(0) + u16(Int(method)) + u16(0) + u16(0) + u32(0) + u32(data.count) + u32(data.count) + u16(nameBytes.count)
            bytes += u32(0x0403_4b50) + common + u16(0) + nameBytes + data
            directory += u32(0x0201_4b50) + u16(20) + common + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset) + nameBytes
        }
        let directoryOffset = bytes.count
        bytes += directory
        bytes += u32(0x0605_4b50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(directory.count) + u32(directoryOffset) + u16(0)
        return bytes
    }
}
