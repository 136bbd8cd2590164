import ArgumentParser
import FeatureModels
import Finetuning
import Foundation
import Logging
import Pipelines
import Prediction
import Runs

@main
struct Arena: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arena",
        abstract: "Predict which of two LLM responses a human prefers, trained on Chatbot Arena votes.",
        discussion: """
            Data: Kaggle CSV (train.csv / test.csv schema) or JSON Lines. Output: P(A), P(B), P(tie) \
            as a Kaggle submission. The metric is multi-class log loss.
            """,
        version: arenaVersionString,
        subcommands: [
            EDACommand.self, EvaluateCommand.self, SynthCommand.self, SplitCommand.self,
            TrainCommand.self, FinetuneCommand.self, EnsembleCommand.self, PredictCommand.self, ReportCommand.self, EmbedCommand.self,
            ServeCommand.self, DoctorCommand.self,
        ]
    )

    /// Runs the command; a library error is told in the command line's terms
    /// (``CommandLineErrors``).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: CommandLineErrors.translate(error))
        }
    }
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only warnings and errors.")
    var quiet = false

    @Flag(name: .long, help: "Print debugging detail.")
    var verbose = false

    /// Sets up logging to standard error and returns the command's logger.
    func makeLogger(_ label: String) -> Logger {
        LoggingBootstrap.once
        var logger = Logger(label: "arena.\(label)")
        logger.logLevel = quiet ? .warning : (verbose ? .debug : .info)
        return logger
    }
}

enum LoggingBootstrap {
    static let once: Void = {
        LoggingSystem.bootstrap { label in PlainStandardErrorLogHandler(label: label) }
    }()
}

/// Log lines for a person at a terminal: the message alone for information, prefixed with
/// "warning:" or "error:" otherwise; all on standard error so standard output stays data.
struct PlainStandardErrorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let prefix: String
        switch event.level {
        case .trace, .debug: prefix = "debug: "
        case .info, .notice: prefix = ""
        case .warning: prefix = "warning: "
        case .error, .critical: prefix = "error: "
        }
        FileHandle.standardError.write(Data((prefix + "\(event.message)\n").utf8))
    }
}
