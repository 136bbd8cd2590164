// Command-line options of torch-step-benchmark; benchmarks/torch_step.py takes the same ones.

struct Options {
    var batch = 8
    var length = 128
    var layers = 6
    var steps = 20
    var warmup = 3
    var threads = 1
    var json = false

    static let usage = """
        usage: torch-step-benchmark [--batch 8] [--length 128] [--layers 6] [--steps 20] [--warmup 3] [--threads 1] [--json]
        """

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses `arguments` (without the program name); `--name value` or `--name=value`.
    init(arguments: [String]) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--json" {
                json = true
                continue
            }
            if argument == "--help" || argument == "-h" {
                throw UsageError(description: Options.usage)
            }
            var name = argument
            var text: String
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                text = String(argument[argument.index(after: equals)...])
            } else {
                guard index < arguments.count else {
                    throw UsageError(description: "\(argument) needs a value\n\(Options.usage)")
                }
                text = arguments[index]
                index += 1
            }
            guard let value = Int(text) else {
                throw UsageError(description: "\(name) needs an integer, got '\(text)'\n\(Options.usage)")
            }
            let minimum = name == "--warmup" ? 0 : 1
            guard value >= minimum else {
                throw UsageError(description: "\(name) must be at least \(minimum), got \(value)")
            }
            switch name {
            case "--batch": batch = value
            case "--length": length = value
            case "--layers": layers = value
            case "--steps": steps = value
            case "--warmup": warmup = value
            case "--threads": threads = value
            default: throw UsageError(description: "unknown option \(name)\n\(Options.usage)")
            }
        }
        guard length <= EncoderShape.maxPositions else {
            throw UsageError(description: "--length must be at most \(EncoderShape.maxPositions) (the position table), got \(length)")
        }
    }
}
