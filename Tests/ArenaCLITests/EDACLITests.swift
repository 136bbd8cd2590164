import Foundation
import Testing

@Suite struct EDACLITests {
    @Test func summarisesTheRealSample() throws {
        let sample = try #require(CLI.sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
        let result = try CLI.run(["eda", sample.path, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(object["rows"] as? Int == 1000)
        // The counts stated in the sample's README: A 352, B 353, tie 295; 131 multi-turn rows.
        let classes = try #require(object["class_counts"] as? [String: Int])
        #expect(classes["model_a"] == 352 && classes["model_b"] == 353 && classes["tie"] == 295)
        let turns = try #require(object["turns_per_row"] as? [[String: Int]])
        #expect(turns.first { $0["turns"] == 1 }?["rows"] == 869)
        #expect(turns.filter { $0["turns"]! > 1 }.map { $0["rows"]! }.reduce(0, +) == 131)
        // Verified with Python json.loads on the same file: 3 null turns in response_a, 2 in response_b.
        #expect(object["null_turns"] as? Int == 5)
        #expect(object["decode_failures"] as? Int == 0)
        let text = try CLI.run(["eda", sample.path])
        #expect(text.standardOutput.contains("Verbosity bias"))
        #expect(text.standardOutput.contains("gpt-4-1106-preview"))
    }

    @Test func countsDecodeFailuresAndProblems() throws {
        let directory = try CLI.temporaryDirectory()
        let file = directory.appendingPathComponent("d.csv")
        let text = #"""
            id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie
            1,x,y,"[""p""]","[""same""]","[""same""]",0,0,1
            2,x,y,"[""p""]","[""same""]","[""same""]",0,0,1
            3,x,y,"[""q""]","[""""]","[""long answer""]",0,1,0
            4,x,y,not json,"[""a""]","[""b""]",1,0,0

            """#
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try CLI.run(["eda", file.path, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(object["rows_read"] as? Int == 4)
        #expect(object["rows"] as? Int == 3)
        #expect(object["decode_failures"] as? Int == 1)
        #expect(object["duplicates"] as? Int == 1)
        #expect((object["identical_responses"] as? [String: Int])?["rows"] == 2)
        #expect((object["empty_responses"] as? [String: Int])?["response_a"] == 1)
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.first { $0["name"] as? String == "y" }?["wins"] as? Int == 1)
    }

    @Test func missingFileIsAClearError() throws {
        let result = try CLI.run(["eda", "/nonexistent/train.csv"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("/nonexistent/train.csv: cannot open the file"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test func helpShowsDefaults() throws {
        let result = try CLI.run(["eda", "--help"])
        #expect(result.status == 0)
        // Help text wraps at the terminal width: compare with whitespace collapsed.
        let help = result.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("(default: 15)"))
    }
}
