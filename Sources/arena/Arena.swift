import ArgumentParser
import Logging

@main
struct Arena: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arena",
        abstract: "Predict which of two LLM responses a human prefers, trained on Chatbot Arena votes.",
        discussion: """
            Data: Kaggle CSV (train.csv / test.csv schema) or JSON Lines. Output: P(A), P(B), P(tie) \
            as a Kaggle submission. The metric is multi-class log loss.
            """,
        version: "0.1.0",
        subcommands: [
            EDACommand.self, EvaluateCommand.self, SynthCommand.self, SplitCommand.self,
            TrainCommand.self, PredictCommand.self,
        ]
    )
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
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        }
    }()
}
