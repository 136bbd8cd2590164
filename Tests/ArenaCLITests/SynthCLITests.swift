import Foundation
import Testing

@Suite struct SynthCLITests {
    @Test func writesTheRequestedRows() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("synthetic.csv")
        let result = try CLI.run(["synth", "--rows", "250", "--seed", "3", "--out", file.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("wrote 250 rows"))
        #expect(result.standardError.contains(file.path))

        let text = try String(contentsOf: file, encoding: .utf8)
        // JSON escapes line breaks inside cells, so each record is one line.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 252)  // header, 250 rows, and the empty string after the last LF
        #expect(lines.first == "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie")
        #expect(lines.last == "")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["synthetic.csv"])

        // The same seed writes the same bytes.
        let again = directory.appendingPathComponent("again.csv")
        let second = try CLI.run(["synth", "--rows", "250", "--seed", "3", "--out", again.path, "--quiet"])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardError.isEmpty)
        #expect(try Data(contentsOf: file) == Data(contentsOf: again))
    }

    @Test func refusesBadArguments() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("out.csv").path

        let zeroRows = try CLI.run(["synth", "--rows", "0", "--out", csv])
        #expect(zeroRows.status != 0)
        #expect(zeroRows.standardError.contains("--rows must be at least 1"))

        let noOutput = try CLI.run(["synth", "--rows", "10"])
        #expect(noOutput.status != 0)
        #expect(noOutput.standardError.contains("--out"))

        let text = directory.appendingPathComponent("out.txt").path
        let wrongType = try CLI.run(["synth", "--out", text])
        #expect(wrongType.status != 0)
        #expect(wrongType.standardError.contains(".csv"))

        let missingFolder = directory.appendingPathComponent("no/such/out.csv").path
        let unwritable = try CLI.run(["synth", "--rows", "3", "--out", missingFolder])
        #expect(unwritable.status != 0)
        #expect(unwritable.standardError.contains("cannot write"))

        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
