import ArenaData
import ArgumentParser
import Foundation
import Report

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page of charts about a data set and about runs.",
        discussion: """
            The page has inline SVG charts and inline CSS only (no script, no font or image fetched \
            from anywhere), so it opens offline in any browser. Data charts: class balance, the most \
            frequent LLMs and their win rates, turns per row, length distributions, verbosity and \
            position bias, data problems. Run charts (per --run folder): learning curves when the \
            run has history.csv, log loss per fold, log loss after each step, a reliability diagram, \
            the confusion matrix, feature importances, and tables of metrics and settings. With \
            several runs, a section compares them side by side.
            """
    )

    @Option(help: "The data file (.csv in the Kaggle schema, or .jsonl).")
    var data: String

    @Option(name: .customLong("run"), help: "A run folder written by `arena train` (repeat for several).")
    var runs: [String] = []

    @Option(help: "Where to write the HTML page.")
    var out: String

    @Option(help: "How many LLMs the model chart lists, most frequent first.")
    var top = 15

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be 1 or more (got \(top))") }
        guard !out.isEmpty else { throw ValidationError("--out must name a file") }
    }

    func run() throws {
        let logger = global.makeLogger("report")
        _ = try OutputPath.resolve(out, inputs: [data] + runs.flatMap { OutputPath.files(in: $0) })
        let summary = try DatasetSummary.summarize(path: data)
        logger.debug("summarised \(summary.rows) rows of \(data)")
        var reports: [RunReport] = []
        for path in runs {
            reports.append(try RunReport.load(path: path))
            logger.debug("read run \(path)")
        }
        let html = ReportBuilder.html(data: summary, runs: reports, topModels: top)
        try AtomicFile.write(html, to: out)
        print(out)
    }
}
