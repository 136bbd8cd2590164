import ArenaData
import ArgumentParser
import FeatureModels
import Finetuning
import Foundation
import Pipelines
import Prediction
import Runs

struct EnsembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Blend finished runs: weights fitted on the rows they all predicted out of fold.",
        discussion: """
            Reads each run's oof.csv, keeps the labelled rows every run predicted (all rows for \
            k-fold runs on the same data; the validation rows of a fine-tuned hold-out run), \
            fits non-negative weights summing to 1 that minimise the log loss of the weighted \
            mean (a convex problem), then a temperature. The member runs are copied into the \
            ensemble (OUT/members/K-NAME), so the \
            ensemble is one folder that keeps working wherever it is moved; `arena predict \
            --run OUT` predicts with every member and blends them.

            The weights are fitted on the same out-of-fold rows the figures are reported on: \
            with few rows the blend's log loss is slightly optimistic.
            """
    )

    @Option(name: .customLong("run"), help: "A finished run folder (two or more).")
    var runs: [String] = []

    @Option(help: "The ensemble run folder to write.")
    var out: String

    @Flag(inversion: .prefixedNo, help: "Fit a temperature on the blend.")
    var calibration = true

    @Flag(help: "Replace an existing run folder.")
    var overwrite = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard runs.count >= 2 else { throw ValidationError("give at least two --run folders (got \(runs.count))") }
    }

    func run() throws {
        let logger = global.makeLogger("ensemble")
        let result = try Blending.fit(members: runs, calibrate: calibration)
        for (member, (weight, loss)) in zip(runs, zip(result.artifact.weights, result.artifact.memberLogLoss)) {
            logger.info("\(member): log loss \(String(format: "%.5f", loss)), weight \(String(format: "%.3f", weight))")
        }
        for step in result.metrics.steps ?? [] {
            logger.info("blend, \(step.step): \(String(format: "%.5f", step.logLoss)) over \(result.ids.count) shared rows")
        }
        let members = try runs.map { try RunFolder.readConfig(runPath: $0) }
        let config = RunConfig(
            kind: .ensemble, data: members[0].data, rows: result.ids.count, folds: result.metrics.folds.count, seed: 0,
            createdAt: ISO8601DateFormatter().string(from: Date()))
        let training = TrainingRun(config: config, out: out, overwrite: overwrite, resume: false, inputs: runs)
        let (_, run) = try training.execute(log: { logger.info("\($0)") }) { run in
            try Blending.train(result, members: runs, run: run)
        }
        print(String(format: "blend log loss %.5f over %d shared rows (best member %.5f); run saved to %@",
                     result.metrics.oofLogLoss, result.ids.count, result.artifact.memberLogLoss.min() ?? .nan, run.path))
    }
}
