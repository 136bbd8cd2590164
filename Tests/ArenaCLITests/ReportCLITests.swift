import Foundation
import Testing

/// `arena report` as a user runs it: on the real sample, with a linear run made by `arena train`.
@Suite(.serialized) struct ReportCLITests {
    static func svgCount(_ html: String) -> Int { html.components(separatedBy: "<svg").count - 1 }

    @Test func reportOnTheSampleWithARun() throws {
        let sample = try #require(CLI.sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = directory.appendingPathComponent("linear").path
        let train = try CLI.run(["train", "--data", sample.path, "--model", "linear", "--folds", "3", "--out", run, "--quiet"])
        #expect(train.status == 0, "\(train.standardError)")

        let out = directory.appendingPathComponent("report.html").path
        let report = try CLI.run(["report", "--data", sample.path, "--run", run, "--out", out])
        #expect(report.status == 0, "\(report.standardError)")
        #expect(report.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == out)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.lowercased().contains("http"))
        for title in ["<h2>Data set</h2>", "<h2>Run: linear</h2>", "Class balance", "Most frequent LLMs", "Verbosity bias",
                      "Length distributions", "Log loss per fold: linear", "Reliability diagram: linear", "Confusion matrix: linear",
                      "Feature importance: linear", "<h3>Settings</h3>"] {
            #expect(html.contains(title), "missing \(title)")
        }
        // 7 data charts; 6 run charts (learning curves from history.csv, folds, steps, reliability, confusion, importance).
        let expected = FileManager.default.fileExists(atPath: run + "/history.csv") ? 13 : 12
        #expect(Self.svgCount(html) == expected)
        #expect(!FileManager.default.fileExists(atPath: out + ".tmp"))

        // Two runs: a comparison section appears.
        let two = directory.appendingPathComponent("two.html").path
        let both = try CLI.run(["report", "--data", sample.path, "--run", run, "--run", run, "--out", two, "--quiet"])
        #expect(both.status == 0, "\(both.standardError)")
        let twoHTML = try String(contentsOfFile: two, encoding: .utf8)
        #expect(twoHTML.contains("<h2>Runs compared</h2>"))
        #expect(Self.svgCount(twoHTML) == expected + (expected - 7) + 2)
    }

    @Test func errorsNameTheFile() throws {
        let sample = try #require(CLI.sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("report.html").path
        let missingRun = directory.appendingPathComponent("norun").path
        let noRun = try CLI.run(["report", "--data", sample.path, "--run", missingRun, "--out", out])
        #expect(noRun.status != 0)
        #expect(noRun.standardError.contains(missingRun))
        #expect(!FileManager.default.fileExists(atPath: out))
        let noData = try CLI.run(["report", "--data", directory.appendingPathComponent("missing.csv").path, "--out", out])
        #expect(noData.status != 0)
        #expect(noData.standardError.contains("missing.csv"))
        let noOut = try CLI.run(["report", "--data", sample.path])
        #expect(noOut.status != 0)
    }
}
