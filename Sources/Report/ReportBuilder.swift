import ArenaData
import Foundation
import Prediction
import Runs

/// Builds the self-contained HTML page of `arena report`: inline CSS and inline SVG only, no
/// script, no font or image fetched from anywhere, so it opens offline in any browser.
public enum ReportBuilder {
    /// Section titles, in page order (the run sections follow with "Run: NAME").
    public static let dataSectionTitle = "Data set"
    public static let comparisonSectionTitle = "Runs compared"
    public static func runSectionTitle(_ run: RunReport) -> String { "Run: \(run.name)" }

    /// The page. `topModels`: how many LLMs the model chart lists.
    public static func html(
        data: DatasetSummary?, runs: [RunReport], title: String = "arena report", topModels: Int = 15, generatedAt: Date = Date()
    ) -> String {
        var body: [String] = []
        body.append("<header><h1>\(xmlEscape(title))</h1><p class=\"meta\">Generated \(xmlEscape(timestamp(generatedAt))) by arena \(xmlEscape(arenaVersionString)).</p>")
        var contents: [(String, String)] = []
        if data != nil { contents.append(("data", dataSectionTitle)) }
        if runs.count > 1 { contents.append(("runs", comparisonSectionTitle)) }
        for (index, run) in runs.enumerated() { contents.append(("run-\(index + 1)", runSectionTitle(run))) }
        if contents.count > 1 {
            body.append("<nav><ul>" + contents.map { "<li><a href=\"#\($0.0)\">\(xmlEscape($0.1))</a></li>" }.joined() + "</ul></nav>")
        }
        body.append("</header>")
        if let data { body.append(dataSection(data, topModels: topModels)) }
        if runs.count > 1 { body.append(comparisonSection(runs)) }
        for (index, run) in runs.enumerated() { body.append(runSection(run, id: "run-\(index + 1)")) }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(xmlEscape(title))</title>
            <style>\(css)</style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1280px;padding:16px 24px;color:#222;background:#fff;line-height:1.4}
        h1{font-size:26px;margin:8px 0}h2{font-size:21px;border-bottom:2px solid #0072B2;padding-bottom:4px;margin-top:36px}
        h3{font-size:16px;margin:20px 0 8px}.meta{color:#555;font-size:13px;margin:0 0 8px}
        nav ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:14px}nav a{color:#0072B2}
        .grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
        figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:8px;background:#fff;max-width:100%;overflow-x:auto}
        figcaption{font-size:12.5px;color:#444;max-width:560px;margin-top:4px}
        svg.chart{display:block;max-width:100%;height:auto}
        table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f3f6f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
        .note{color:#555;font-size:13px}
        """

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func figure(_ svg: String, caption: String? = nil) -> String {
        "<figure>\(svg)\(caption.map { "<figcaption>\(xmlEscape($0))</figcaption>" } ?? "")</figure>"
    }

    static func table(_ header: [String], _ rows: [[String]], numericFrom: Int = 1) -> String {
        var html = "<table><thead><tr>" + header.map { "<th>\(xmlEscape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, cell in
                index >= numericFrom ? "<td class=\"num\">\(xmlEscape(cell))</td>" : "<td>\(xmlEscape(cell))</td>"
            }.joined() + "</tr>"
        }
        return html + "</tbody></table>"
    }

    // MARK: data set

    /// The data-set charts, in page order (each an inline SVG); exposed for tests.
    public static func dataCharts(_ data: DatasetSummary, topModels: Int = 15) -> [(svg: String, caption: String)] {
        var charts: [(String, String)] = []
        if let counts = data.classCounts {
            let total = Double(max(counts.total, 1))
            charts.append((
                Chart.bars(
                    title: "Class balance", categories: ["A wins", "B wins", "tie"],
                    series: [BarSeries(name: "rows", values: [Double(counts.modelA), Double(counts.modelB), Double(counts.tie)])],
                    valueAxis: "rows (count)", categoryAxis: "human vote", categoryColors: [Palette.modelA, Palette.modelB, Palette.tie],
                    annotations: [counts.modelA, counts.modelB, counts.tie].map { NumberFormat.percent(Double($0) / total) }),
                "Votes per class over \(NumberFormat.grouped(counts.total)) labelled rows. A constant prediction of these shares is the baseline to beat."
            ))
            let decisive = counts.modelA + counts.modelB
            if decisive > 0 {
                let share = counts.positionBiasAWinShare ?? 0.5
                let z = counts.positionBiasZ ?? 0
                charts.append((
                    Chart.bars(
                        title: "Position bias: who wins a decisive vote", categories: ["A (shown first)", "B (shown second)"],
                        series: [BarSeries(name: "share", values: [share * 100, (1 - share) * 100])], orientation: .horizontal,
                        valueAxis: "share of decisive votes (%)", categoryAxis: "position", categoryColors: [Palette.modelA, Palette.modelB],
                        valueFormat: { NumberFormat.trimmed($0, digits: 1) }, valueRange: (0, 100)),
                    "A's share of the \(NumberFormat.grouped(decisive)) decisive votes is \(NumberFormat.percent(share)); 50% is no bias (z = \(NumberFormat.fixed(z, 2)), |z| > 2 is unlikely by chance)."
                ))
            }
        }
        let models = Array(data.models.sorted { ($0.battles, $1.name) > ($1.battles, $0.name) }.prefix(topModels))
        if !models.isEmpty {
            let labelled = models.contains { $0.wins + $0.losses + $0.ties > 0 }
            let series: [BarSeries] = labelled
                ? [
                    BarSeries(name: "wins", values: models.map { Double($0.wins) }, color: Palette.green),
                    BarSeries(name: "ties", values: models.map { Double($0.ties) }, color: Palette.tie),
                    BarSeries(name: "losses", values: models.map { Double($0.losses) }, color: Palette.vermillion),
                ]
                : [BarSeries(name: "battles", values: models.map { Double($0.battles) })]
            charts.append((
                Chart.bars(
                    title: "Most frequent LLMs: battles and win rate", categories: models.map(\.name), series: series,
                    orientation: .horizontal, layout: .stacked, valueAxis: "battles (count, as A or B)", categoryAxis: "LLM",
                    annotations: labelled ? models.map { $0.winRate.map { "win " + NumberFormat.percent($0) } ?? "" } : nil, width: 640),
                "The \(models.count) LLMs seen most often, of \(data.models.count). Win rate = wins / battles (ties count as not won)."
            ))
        }
        if !data.turnsPerRow.isEmpty {
            charts.append((
                Chart.bars(
                    title: "Turns per row", categories: data.turnsPerRow.map { String($0.turns) },
                    series: [BarSeries(name: "rows", values: data.turnsPerRow.map { Double($0.rows) })],
                    valueAxis: "rows (count)", categoryAxis: "user turns in the conversation (count)"),
                "Most battles are a single prompt and answer; longer conversations are rarer."
            ))
        }
        if data.responseLength.count > 0 || data.promptLength.count > 0 {
            func distribution(_ name: String, _ stats: DatasetSummary.LengthStats) -> Distribution {
                Distribution(name: name, p10: stats.p10, median: stats.median, mean: stats.mean, p90: stats.p90, p99: stats.p99, max: Double(stats.max))
            }
            charts.append((
                Chart.distributions(
                    title: "Length distributions (log scale)",
                    items: [distribution("prompt", data.promptLength), distribution("response", data.responseLength)],
                    valueAxis: "length (characters, log scale)"),
                "Prompt length is per row (all turns); response length is per response (A and B). Box from the 10th to the 90th percentile, line at the median."
            ))
        }
        let buckets = data.lengthDifference.filter { $0.winsA + $0.winsB + $0.ties > 0 }
        if !buckets.isEmpty {
            let shares = buckets.map { bucket -> [Double] in
                let total = Double(max(bucket.winsA + bucket.winsB + bucket.ties, 1))
                return [Double(bucket.winsA) / total * 100, Double(bucket.winsB) / total * 100, Double(bucket.ties) / total * 100]
            }
            charts.append((
                Chart.bars(
                    title: "Verbosity bias: the longer answer tends to win",
                    categories: buckets.map(\.label),
                    series: [
                        BarSeries(name: "P(A wins)", values: shares.map { $0[0] }, color: Palette.modelA),
                        BarSeries(name: "P(B wins)", values: shares.map { $0[1] }, color: Palette.modelB),
                        BarSeries(name: "P(tie)", values: shares.map { $0[2] }, color: Palette.tie),
                    ],
                    layout: .stacked, valueAxis: "share of votes (%)", categoryAxis: "length of A minus length of B (characters)",
                    valueFormat: { NumberFormat.trimmed($0, digits: 0) },
                    annotations: buckets.map { "n=\(NumberFormat.short(Double($0.rows)))" }, valueRange: (0, 100), width: 640),
                "Rows bucketed by how much longer response A is than B; each bar is the vote split in that bucket, n its row count."
            ))
        }
        let problems: [(String, Int)] = [
            ("decode failures", data.decodeFailures), ("duplicate rows", data.duplicates),
            ("response A empty", data.emptyResponses.responseA), ("response B empty", data.emptyResponses.responseB),
            ("both empty", data.emptyResponses.both), ("identical responses", data.identicalResponses.rows),
            ("null turns", data.nullTurns),
        ]
        charts.append((
            Chart.bars(
                title: "Data problems", categories: problems.map(\.0), series: [BarSeries(name: "rows", values: problems.map { Double($0.1) }, color: Palette.vermillion)],
                orientation: .horizontal, valueAxis: "rows (count)", categoryAxis: "problem"),
            "Counts over \(NumberFormat.grouped(data.rowsRead)) rows read. Decode failures are left out of every other chart; identical responses were voted A \(data.identicalResponses.winsA), B \(data.identicalResponses.winsB), tie \(data.identicalResponses.ties)."
        ))
        return charts
    }

    static func dataSection(_ data: DatasetSummary, topModels: Int) -> String {
        var html = "<section id=\"data\"><h2>\(xmlEscape(dataSectionTitle))</h2>"
        html += "<p class=\"note\">\(xmlEscape(data.path)): \(NumberFormat.grouped(data.rows)) rows decoded of \(NumberFormat.grouped(data.rowsRead)) read, \(NumberFormat.grouped(data.models.count)) distinct LLMs.</p>"
        html += "<div class=\"grid\">" + dataCharts(data, topModels: topModels).map { figure($0.svg, caption: $0.caption) }.joined() + "</div>"
        return html + "</section>"
    }

    // MARK: runs

    static func settingsRows(_ run: RunReport) -> [[String]] {
        var rows: [[String]] = [
            ["model", run.config.kind.rawValue], ["data", run.config.data], ["rows", NumberFormat.grouped(run.config.rows)],
            ["folds", String(run.config.folds)], ["seed", String(run.config.seed)], ["created", run.config.createdAt],
            ["arena version", run.config.arenaVersion],
        ]
        if let settings = run.config.settings { rows += encodedRows(settings) }
        if let settings = run.config.finetune {
            rows += encodedRows(settings).map { $0[0] == "model" ? ["pretrained model", $0[1]] : $0 }
        }
        return rows
    }

    /// A settings value as flattened name/value rows (snake_case names, sorted).
    static func encodedRows<Value: Encodable>(_ value: Value) -> [[String]] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return []
        }
        return flatten(object, prefix: "").map { [$0.0, $0.1] }
    }

    static func flatten(_ object: [String: Any], prefix: String) -> [(String, String)] {
        var result: [(String, String)] = []
        for key in object.keys.sorted() {
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch object[key] {
            case let nested as [String: Any]: result += flatten(nested, prefix: name)
            case let number as NSNumber:
                let type = String(cString: number.objCType)
                result.append((name, type == "c" || type == "B" ? (number.boolValue ? "true" : "false") : "\(number)"))
            case let value?: result.append((name, "\(value)"))
            case nil: break
            }
        }
        return result
    }

    static func metricRows(_ run: RunReport) -> [[String]] {
        var rows: [[String]] = [
            ["out-of-fold log loss", NumberFormat.fixed(run.metrics.oofLogLoss, 5)],
            ["out-of-fold accuracy", NumberFormat.percent(run.metrics.oofAccuracy)],
            ["expected calibration error", NumberFormat.fixed(run.metrics.oofExpectedCalibrationError, 4)],
        ]
        for fold in run.metrics.folds {
            rows.append(["fold \(fold.fold + 1) log loss (\(NumberFormat.grouped(fold.rows)) rows)", NumberFormat.fixed(fold.logLoss, 5)])
        }
        for step in run.metrics.steps ?? [] { rows.append(["after step: \(step.step)", NumberFormat.fixed(step.logLoss, 5)]) }
        return rows
    }

    static let classNames = ["A wins", "B wins", "tie"]

    /// The charts of one run, in page order; exposed for tests.
    public static func runCharts(_ run: RunReport) -> [(svg: String, caption: String)] {
        var charts: [(String, String)] = []
        if let history = run.history, history.contains(where: { !$0.isEmpty }) {
            let series = history.enumerated().map { fold, losses in
                LineSeries(name: "fold \(fold + 1)", points: losses.enumerated().map { (x: Double($0.offset + 1), y: $0.element) })
            }
            charts.append((
                Chart.lines(
                    title: "Learning curves: \(run.name)", series: series, xAxis: "boosting round (count)",
                    yAxis: "validation log loss (nats)", yFormat: { NumberFormat.trimmed($0, digits: 3) }),
                "Log loss on each fold's inner validation rows (used for early stopping) after every round."
            ))
        }
        if let training = run.training, !training.isEmpty {
            let folds = Array(Set(training.map(\.fold))).sorted()
            var losses: [LineSeries] = []
            for (index, fold) in folds.enumerated() {
                let rows = training.filter { $0.fold == fold }.sorted { $0.step < $1.step }
                let color = Palette.color(index)
                losses.append(LineSeries(name: "fold \(fold + 1) training", points: rows.map { (Double($0.step), $0.trainingLoss) }, color: color))
                let validation = rows.compactMap { row in row.validationLoss.map { (x: Double(row.step), y: $0) } }
                if !validation.isEmpty {
                    losses.append(LineSeries(name: "fold \(fold + 1) validation", points: validation, color: color, markers: true, dashed: true))
                }
            }
            charts.append((
                Chart.lines(
                    title: "Training and validation loss: \(run.name)", series: losses, xAxis: "optimizer step (count)",
                    yAxis: "cross-entropy (nats)", yFormat: { NumberFormat.trimmed($0, digits: 3) }),
                "Training loss at every optimizer step (solid) and validation loss where it was measured (dashed, dots), per fold."
            ))
            let first = training.filter { $0.fold == folds[0] }.sorted { $0.step < $1.step }
            charts.append((
                Chart.lines(
                    title: "Learning-rate schedule: \(run.name)",
                    series: [LineSeries(name: "learning rate", points: first.map { (Double($0.step), $0.learningRate) })],
                    xAxis: "optimizer step (count)", yAxis: "learning rate", yRange: (0, Swift.max(first.map(\.learningRate).max() ?? 1, 1e-12)),
                    yFormat: { String(format: "%.1e", $0) }),
                "The learning rate at every optimizer step (fold \(folds[0] + 1); every fold follows the same schedule)."
            ))
        }
        if !run.metrics.folds.isEmpty {
            charts.append((
                Chart.bars(
                    title: "Log loss per fold: \(run.name)",
                    categories: run.metrics.folds.map { "fold \($0.fold + 1)" } + ["out of fold"],
                    series: [BarSeries(name: "log loss", values: run.metrics.folds.map(\.logLoss) + [run.metrics.oofLogLoss])],
                    valueAxis: "log loss (nats, lower is better)", categoryAxis: "validation fold",
                    valueFormat: { NumberFormat.trimmed($0, digits: 3) }),
                "Each fold's model scored on the rows it did not see; the last bar is all out-of-fold rows together."
            ))
        }
        if let steps = run.metrics.steps, !steps.isEmpty {
            charts.append((
                Chart.bars(
                    title: "Log loss after each step: \(run.name)", categories: steps.map(\.step),
                    series: [BarSeries(name: "log loss", values: steps.map(\.logLoss), color: Palette.green)], orientation: .horizontal,
                    valueAxis: "out-of-fold log loss (nats)", categoryAxis: "step", valueFormat: { NumberFormat.trimmed($0, digits: 4) }),
                "Out-of-fold log loss of the raw model and after each post-processing step."
            ))
        }
        if run.outOfFoldRows > 0 {
            charts.append((
                Chart.reliability(title: "Reliability diagram: \(run.name)", runs: [(run.name, run.reliability)]),
                "Out-of-fold predictions binned by the probability of the most likely class; points on the dashed diagonal are perfectly calibrated. ECE \(NumberFormat.fixed(run.metrics.oofExpectedCalibrationError, 4))."
            ))
        }
        let confusion = run.metrics.oofConfusionMatrix
        if !confusion.isEmpty {
            charts.append((
                Chart.matrix(
                    title: "Confusion matrix: \(run.name)", rows: Array(classNames.prefix(confusion.count)),
                    columns: Array(classNames.prefix(confusion.first?.count ?? 0)), values: confusion.map { $0.map(Double.init) },
                    rowAxis: "true class (rows)", columnAxis: "predicted class (most probable)"),
                "Out-of-fold rows by true and predicted class; accuracy \(NumberFormat.percent(run.metrics.oofAccuracy))."
            ))
        }
        if let importances = run.importances, !importances.isEmpty {
            let top = Array(importances.prefix(20))
            charts.append((
                Chart.bars(
                    title: "Feature importance: \(run.name)", categories: top.map(\.feature),
                    series: [BarSeries(name: "gain", values: top.map(\.gain), color: Palette.blue)], orientation: .horizontal,
                    valueAxis: run.config.kind == .linear ? "mean |coefficient| over classes" : "mean gain per split (loss reduction)",
                    categoryAxis: "feature", width: 640),
                "The \(top.count) most important of \(importances.count) features, averaged over folds."
            ))
        }
        return charts
    }

    static func runSection(_ run: RunReport, id: String) -> String {
        var html = "<section id=\"\(id)\"><h2>\(xmlEscape(runSectionTitle(run)))</h2>"
        html += "<p class=\"note\">\(xmlEscape(run.path))</p>"
        html += "<div class=\"grid\">" + runCharts(run).map { figure($0.svg, caption: $0.caption) }.joined() + "</div>"
        html += "<div class=\"grid\"><div><h3>Metrics</h3>\(table(["metric", "value"], metricRows(run)))</div>"
        html += "<div><h3>Settings</h3>\(table(["setting", "value"], settingsRows(run), numericFrom: 2))</div></div>"
        return html + "</section>"
    }

    /// Charts with all runs together; exposed for tests.
    public static func comparisonCharts(_ runs: [RunReport]) -> [(svg: String, caption: String)] {
        var charts: [(String, String)] = []
        let foldCount = runs.map(\.metrics.folds.count).max() ?? 0
        let categories = (0..<foldCount).map { "fold \($0 + 1)" } + ["out of fold"]
        let series = runs.enumerated().map { index, run in
            BarSeries(
                name: run.name,
                values: (0..<foldCount).map { run.metrics.folds.indices.contains($0) ? run.metrics.folds[$0].logLoss : .nan } + [run.metrics.oofLogLoss],
                color: Palette.color(index))
        }
        charts.append((
            Chart.bars(
                title: "Log loss per fold, all runs", categories: categories, series: series, valueAxis: "log loss (nats, lower is better)",
                categoryAxis: "validation fold", valueLabels: runs.count <= 3, valueFormat: { NumberFormat.trimmed($0, digits: 3) }, width: 720),
            "Runs side by side; compare fold by fold only when the runs used the same folds (same data, fold count and seed)."
        ))
        charts.append((
            Chart.reliability(title: "Reliability diagram, all runs", runs: runs.map { ($0.name, $0.reliability) }),
            "Calibration of each run's out-of-fold predictions; closer to the diagonal is better."
        ))
        return charts
    }

    static func comparisonSection(_ runs: [RunReport]) -> String {
        var html = "<section id=\"runs\"><h2>\(xmlEscape(comparisonSectionTitle))</h2>"
        let rows = runs.map { run in
            [run.name, run.config.kind.rawValue, NumberFormat.grouped(run.config.rows), String(run.config.folds),
             NumberFormat.fixed(run.metrics.oofLogLoss, 5), NumberFormat.percent(run.metrics.oofAccuracy),
             NumberFormat.fixed(run.metrics.oofExpectedCalibrationError, 4)]
        }
        html += table(["run", "model", "rows", "folds", "OOF log loss", "OOF accuracy", "ECE"], rows, numericFrom: 2)
        html += "<div class=\"grid\">" + comparisonCharts(runs).map { figure($0.svg, caption: $0.caption) }.joined() + "</div>"
        return html + "</section>"
    }
}
