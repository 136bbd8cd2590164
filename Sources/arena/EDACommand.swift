import ArgumentParser

struct EDACommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eda", abstract: "(not yet implemented)")
    func run() throws { throw ValidationError("'eda' is not implemented yet") }
}
