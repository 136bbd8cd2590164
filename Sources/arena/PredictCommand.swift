import ArgumentParser

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'predict' is not implemented yet") }
}
