import Foundation
import Testing
import Torch

/// `arena embed` with the real all-MiniLM-L6-v2 (installed by scripts/setup-models.sh).
@Suite struct EmbedCLITests {
    static var miniLM: String? {
        if let path = ProcessInfo.processInfo.environment["ARENA_MINILM"], !path.isEmpty { return path }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let candidate = root.appendingPathComponent(".models/all-MiniLM-L6-v2").path
        return FileManager.default.fileExists(atPath: candidate + "/config.json") ? candidate : nil
    }

    @Test func embedsPromptsAndResponsesInInputOrder() throws {
        guard let model = Self.miniLM else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
            return
        }
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("test.csv")
        // Row 2's response A repeats row 1's prompt: their embeddings must be equal although
        // they sit in different length buckets and batches.
        try """
            id,prompt,response_a,response_b
            11,"[""What is the capital of France?""]","[""Paris."", ""It is Paris.""]","[""I think it is Lyon, the second city of France, famous for its food and its old town.""]"
            7,"[""Write a haiku about rain""]","[""What is the capital of France?""]","[null]"
            """.write(to: data, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("embeddings.safetensors")
        let result = try CLI.run(["embed", "--model", model, "--data", data.path, "--out", out.path, "--batch-size", "2", "--threads", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("tokens/s"))
        let file = try SafetensorsFile(path: out.path)
        #expect(Set(file.names) == ["id", "prompt", "response_a", "response_b"])
        #expect(try file.tensor("id").int64s() == [11, 7])
        #expect(file.info("prompt")?.shape == [2, 384])
        #expect(file.metadata["ids"] == "[\"11\",\"7\"]")
        let prompts = try file.tensor("prompt").floats()
        let answers = try file.tensor("response_a").floats()
        let same = zip(prompts[0..<384], answers[384..<768]).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(same < 1e-5, "one text, two batches: \(same)")
        let norm = prompts[0..<384].reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(Swift.abs(norm - 1) < 1e-5)
        let different = zip(prompts[0..<384], prompts[384..<768]).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(different > 0.01)
    }

    @Test func badModelFoldersGiveClearErrors() throws {
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("test.csv")
        try "id,prompt,response_a,response_b\n1,\"[\"\"a\"\"]\",\"[\"\"b\"\"]\",\"[\"\"c\"\"]\"\n".write(to: data, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("e.safetensors").path
        let empty = folder.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        var result = try CLI.run(["embed", "--model", empty.path, "--data", data.path, "--out", out])
        #expect(result.status == 1)
        #expect(result.standardError.contains("no config.json"), "\(result.standardError)")
        try #"{"model_type": "t5"}"#.write(to: empty.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        result = try CLI.run(["embed", "--model", empty.path, "--data", data.path, "--out", out])
        #expect(result.status == 1)
        #expect(result.standardError.contains("model_type \"t5\" is not supported"), "\(result.standardError)")
        result = try CLI.run(["embed", "--model", empty.path, "--data", data.path, "--out", folder.appendingPathComponent("e.bin").path])
        #expect(result.status != 0)
        #expect(result.standardError.contains(".safetensors"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

/// An interrupted `arena embed` continues from its checkpoint: finished texts are not embedded
/// again, and a checkpoint of other settings is refused.
@Suite struct EmbedResumeCLITests {
    @Test func resumesFromACheckpoint() throws {
        guard let model = EmbedCLITests.miniLM else {
            Issue.record("all-MiniLM-L6-v2 is not installed: run scripts/setup-models.sh")
            return
        }
        let folder = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("test.csv")
        try """
            id,prompt,response_a,response_b
            1,"[""Name three colours""]","[""Red, green and blue.""]","[""Blue.""]"
            2,"[""What is 2 + 2?""]","[""4""]","[""It is four, of course.""]"
            """.write(to: data, atomically: true, encoding: .utf8)
        let first = folder.appendingPathComponent("first.safetensors")
        var result = try CLI.run(["embed", "--model", model, "--data", data.path, "--out", first.path, "--threads", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let complete = try SafetensorsFile(path: first.path)
        #expect(complete.metadata["texts_fnv1a"] != nil)

        // A checkpoint as an interrupted run leaves it: the prompts done (with a marker value
        // that a recomputation would overwrite), the responses not.
        let width = 384
        var vectors = [Float](repeating: 0, count: 6 * width)
        var done = [Bool](repeating: false, count: 6)
        for row in 0..<2 {
            let index = row * 3
            done[index] = true
            for column in 0..<width { vectors[index * width + column] = 0.5 }
        }
        let second = folder.appendingPathComponent("second.safetensors")
        let checkpoint = second.path + ".partial.safetensors"
        var metadata = complete.metadata
        metadata["ids"] = nil
        metadata["model_type"] = nil
        try Safetensors.write([("vectors", try Tensor(vectors, shape: [6, width])), ("done", try Tensor(done, shape: [6]))],
                              metadata: metadata, to: checkpoint)
        result = try CLI.run(["embed", "--model", model, "--data", data.path, "--out", second.path, "--threads", "1", "--resume"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("resuming: 2 of 6 texts already embedded"))
        let resumed = try SafetensorsFile(path: second.path)
        #expect(try resumed.tensor("prompt").floats().allSatisfy { $0 == 0.5 }, "finished texts were embedded again")
        let expected = try complete.tensor("response_b").floats()
        let actual = try resumed.tensor("response_b").floats()
        #expect(zip(expected, actual).map { Swift.abs($0 - $1) }.max() ?? 1 < 1e-5)
        #expect(!FileManager.default.fileExists(atPath: checkpoint), "the checkpoint is removed once the output is written")

        // A checkpoint written with other settings is refused, naming the setting.
        metadata["max_length"] = "128"
        try Safetensors.write([("vectors", try Tensor(vectors, shape: [6, width])), ("done", try Tensor(done, shape: [6]))],
                              metadata: metadata, to: checkpoint)
        result = try CLI.run(["embed", "--model", model, "--data", data.path, "--out", second.path, "--resume"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("max_length"), "\(result.standardError)")
        result = try CLI.run(["embed", "--model", model, "--data", data.path, "--out", folder.appendingPathComponent("none.safetensors").path, "--resume"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("no checkpoint"))
    }
}
