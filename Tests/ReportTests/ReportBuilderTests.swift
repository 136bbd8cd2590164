import ArenaData
import Foundation
import FoundationXML
import Prediction
import Runs
import FeatureModels
import Finetuning
import Testing
#if canImport(FoundationXML)
#endif

@testable import Report

/// A small labelled data set in the Kaggle schema, with a model name that needs escaping.
func writeSampleData(to directory: URL) throws -> String {
    var writer = CSVWriter()
    writer.write(["id", "model_a", "model_b", "prompt", "response_a", "response_b", "winner_model_a", "winner_model_b", "winner_tie"])
    let rows: [(String, String, String, String, String, String)] = [
        ("1", "gpt<&>4", "claude", "[\"hi\"]", "[\"hello there, friend\"]", "[\"hey\"]", "1"),
        ("2", "claude", "gpt<&>4", "[\"why?\"]", "[\"because\"]", "[\"because of many long reasons\"]", "0"),
        ("3", "llama", "gpt<&>4", "[\"a\",\"b\"]", "[\"x\",\"y\"]", "[\"x\",\"y\"]", "t"),
        ("4", "llama", "claude", "[\"q\"]", "[\"a long answer with words\"]", "[\"short\"]", "1"),
    ].map { ($0.0, $0.1, $0.2, $0.3, $0.4, $0.5) } as [(String, String, String, String, String, String)]
    let winners = ["1", "0", "t", "1"]
    for (index, row) in rows.enumerated() {
        let label = winners[index] == "1" ? ["1", "0", "0"] : winners[index] == "0" ? ["0", "1", "0"] : ["0", "0", "1"]
        writer.write([row.0, row.1, row.2, row.3, row.4, row.5] + label)
    }
    let path = directory.appendingPathComponent("train.csv").path
    try writer.take().write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("report-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A run folder as `arena train` writes it (config, metrics, oof, importances, history).
func writeRun(named name: String, in directory: URL, history: Bool = true) throws -> String {
    let path = directory.appendingPathComponent(name).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let probabilities: [WinnerProbabilities] = [[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1], [0.4, 0.5, 0.1], [0.35, 0.33, 0.32]]
    let labels = [0, 1, 2, 1, 1, 0]
    let folds = [0, 1, 0, 1, 0, 1]
    var config = RunConfig(kind: .gbdt, data: "train<&>.csv", rows: 6, folds: 2, seed: 7, createdAt: "2026-01-01T00:00:00Z")
    try config.setFeatureModelSettings(FeatureModelSettings.defaults(for: .gbdt))
    try RunFolder.writeJSON(config, path: path + "/config.json")
    var metrics = try RunMetrics(outOfFold: probabilities, labels: labels, folds: folds)
    metrics.steps = [RunMetrics.Step(step: "model", logLoss: 1.05), RunMetrics.Step(step: "calibrated", logLoss: 1.04)]
    try RunFolder.writeJSON(metrics, path: path + "/metrics.json")
    var oof = CSVWriter()
    oof.write(["id", "fold", "label", "winner_model_a", "winner_model_b", "winner_tie"])
    let names = ["model_a", "model_b", "tie"]
    for row in probabilities.indices {
        oof.write([String(row), String(folds[row]), names[labels[row]]] + probabilities[row].map { String($0) })
    }
    try oof.take().write(toFile: path + "/oof.csv", atomically: true, encoding: .utf8)
    try "feature,gain\nlen<diff>,3.5\nratio_lines,1.25\n".write(toFile: path + "/importances.csv", atomically: true, encoding: .utf8)
    if history {
        try "fold,round,validation_log_loss\n0,1,1.09\n0,2,1.07\n1,1,1.10\n1,2,1.08\n1,3,1.06\n".write(
            toFile: path + "/history.csv", atomically: true, encoding: .utf8)
    }
    return path
}

/// Every inline <svg>...</svg> of a page.
func svgElements(of html: String) -> [String] {
    var result: [String] = []
    var rest = html[...]
    while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
        result.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
    }
    return result
}

@Suite struct ReportBuilderTests {
    @Test func runReportLoadsEveryFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try RunReport.load(path: try writeRun(named: "r1", in: directory) + "/")
        #expect(run.name == "r1")
        #expect(run.outOfFoldRows == 6)
        #expect(run.reliability.map(\.count).reduce(0, +) == 6)
        // Top-label confidence 0.6 (correct), 0.7 (correct), 0.4 (correct), 0.5 (wrong), 0.5 (correct), 0.35 (correct).
        #expect(run.reliability[5].count == 2 && run.reliability[5].accuracy == 0.5)
        #expect(run.importances?.map(\.feature) == ["len<diff>", "ratio_lines"])
        #expect(run.history == [[1.09, 1.07], [1.10, 1.08, 1.06]])
        #expect(run.metrics.folds.count == 2)

        let withoutHistory = try RunReport.load(path: try writeRun(named: "r2", in: directory, history: false))
        #expect(withoutHistory.history == nil)
        #expect(!ReportBuilder.runCharts(withoutHistory).contains { $0.svg.contains("Learning curves") })
        #expect(ReportBuilder.runCharts(run).contains { $0.svg.contains("Learning curves") })
    }

    @Test func missingOrBrokenFilesAreNamed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeRun(named: "r", in: directory)
        try FileManager.default.removeItem(atPath: path + "/oof.csv")
        #expect(throws: ReportError.missingFile(path: path + "/oof.csv")) { try RunReport.load(path: path) }
        _ = try writeRun(named: "r", in: directory)
        try "feature,gain\nx,notanumber\n".write(toFile: path + "/importances.csv", atomically: true, encoding: .utf8)
        do {
            _ = try RunReport.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("importances.csv:2"))
        }
        do {
            _ = try RunReport.load(path: directory.appendingPathComponent("nothing").path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("nothing"))
        }
        let empty = directory.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        do {
            _ = try RunReport.load(path: empty)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("config.json"))
        }
    }

    @Test func pageIsSelfContainedAndHasEverySection() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try DatasetSummary.summarize(path: try writeSampleData(to: directory))
        let runs = [try RunReport.load(path: try writeRun(named: "first<&>", in: directory)), try RunReport.load(path: try writeRun(named: "second", in: directory))]
        let html = ReportBuilder.html(data: summary, runs: runs)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.lowercased().contains("http"))
        #expect(!html.contains("@import") && !html.contains("url("))
        for title in ["Data set", "Runs compared", "Run: first&lt;&amp;&gt;", "Run: second"] {
            #expect(html.contains("<h2>\(title)</h2>"), "missing section \(title)")
        }
        #expect(!html.contains("gpt<&>4"))
        #expect(html.contains("gpt&lt;&amp;&gt;4"))
        let svgs = svgElements(of: html)
        let expected = ReportBuilder.dataCharts(summary).count + ReportBuilder.comparisonCharts(runs).count + runs.map { ReportBuilder.runCharts($0).count }.reduce(0, +)
        #expect(svgs.count == expected)
        #expect(ReportBuilder.runCharts(runs[0]).count == 6)  // curves, folds, steps, reliability, confusion, importance
        for svg in svgs {
            let document = try XMLDocument(xmlString: svg, options: [])
            #expect(document.rootElement()?.name == "svg")
        }
        for title in ["Class balance", "Position bias", "Most frequent LLMs", "Turns per row", "Length distributions", "Verbosity bias", "Data problems",
                      "Log loss per fold, all runs", "Reliability diagram, all runs", "Confusion matrix: second", "Feature importance: second"] {
            #expect(html.contains(title), "missing chart \(title)")
        }
        // The class-balance chart counts the four labelled rows: A 2, B 1, tie 1.
        let balance = try #require(svgs.first { $0.contains("Class balance") })
        let bars = elements("rect", in: try parseSVG(balance)).filter { attribute("class", of: $0) == "bar" }
        #expect(bars.compactMap { attribute("data-value", of: $0) } == ["2.0", "1.0", "1.0"])
        // Settings and metrics tables.
        #expect(html.contains("<h3>Settings</h3>") && html.contains("<h3>Metrics</h3>"))
        #expect(html.contains("train&lt;&amp;&gt;.csv"))
        #expect(html.contains("learning_rate") || html.contains("parameters."))
    }

    @Test func dataOnlyPageHasNoRunSections() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try DatasetSummary.summarize(path: try writeSampleData(to: directory))
        let html = ReportBuilder.html(data: summary, runs: [])
        #expect(html.contains("<h2>Data set</h2>"))
        #expect(!html.contains("Runs compared") && !html.contains("Run: "))
    }
}

/// training.csv (a gradient-trained run's optimizer steps) gives the learning curves by step and
/// the learning-rate schedule.
@Suite struct TrainingCurveTests {
    @Test func trainingCsvGivesLossCurvesAndTheSchedule() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try writeRun(named: "finetune", in: directory, history: false)
        try """
            fold,step,learning_rate,training_loss,validation_loss
            0,1,0.00001,1.10,
            0,2,0.00002,1.05,1.07
            0,3,0.000015,1.01,
            0,4,0.00001,0.98,1.02
            1,1,0.00001,1.12,
            1,2,0.00002,1.06,1.08
            """.write(toFile: path + "/training.csv", atomically: true, encoding: .utf8)
        let run = try RunReport.load(path: path)
        #expect(run.training?.count == 6)
        #expect(run.training?[1] == TrainingRecord(fold: 0, step: 2, learningRate: 0.00002, trainingLoss: 1.05, validationLoss: 1.07))
        #expect(run.training?[0].validationLoss == nil)
        let charts = ReportBuilder.runCharts(run)
        let losses = try #require(charts.first { $0.svg.contains("Training and validation loss") })
        let schedule = try #require(charts.first { $0.svg.contains("Learning-rate schedule") })
        for svg in [losses.svg, schedule.svg] { _ = try parseSVG(svg) }
        // Two folds, each with a training and a validation series.
        #expect(losses.svg.contains("fold 1 training") && losses.svg.contains("fold 2 validation"))
        #expect(schedule.svg.contains("2.0e-05"))
        #expect(schedule.svg.contains("optimizer step (count)"))

        // A fine-tuned run's settings are in its settings table.
        var config = try RunFolder.readConfig(runPath: path)
        config.kind = .cross
        config.settings = nil
        try config.setFinetuneSettings(FinetuneSettings(architecture: .cross, model: "models/minilm", learningRate: 3e-5))
        try RunFolder.writeJSON(config, path: path + "/config.json")
        let rows = ReportBuilder.settingsRows(try RunReport.load(path: path))
        #expect(rows.contains(["learning_rate", "3e-05"]) && rows.contains(["architecture", "cross"]), "\(rows)")
        #expect(rows.contains(["model", "cross"]) && rows.contains(["pretrained model", "models/minilm"]))

        try "fold,step,learning_rate,training_loss\n0,1,fast,1.1\n".write(toFile: path + "/training.csv", atomically: true, encoding: .utf8)
        do {
            _ = try RunReport.load(path: path)
            Issue.record("a malformed training.csv was accepted")
        } catch {
            #expect(error.description.contains("training.csv:2"))
        }
        // Feature-model runs have no training.csv and no such charts.
        try FileManager.default.removeItem(atPath: path + "/training.csv")
        #expect(!ReportBuilder.runCharts(try RunReport.load(path: path)).contains { $0.svg.contains("Learning-rate schedule") })
    }
}
