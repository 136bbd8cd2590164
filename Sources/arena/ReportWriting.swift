import ArenaData
import FeatureModels
import Finetuning
import Foundation
import Logging
import Pipelines
import Prediction
import Report
import Runs

/// report.html in a run folder that `arena train` or `arena finetune` is finishing.
enum ReportWriting {
    /// Writes the report of the data set and the staged run. A run is complete without it, so
    /// a failure is a warning.
    static func write(run: RunFolder, data: String, logger: Logger) {
        do {
            var report = try RunReport.load(path: run.stagingPath)
            report.name = URL(fileURLWithPath: run.path).lastPathComponent
            report.path = run.path
            let summary = try DatasetSummary.summarize(path: data)
            try run.write(ReportBuilder.html(data: summary, runs: [report]), to: "report.html")
        } catch {
            logger.warning("report.html was not written: \(error)")
        }
    }
}
