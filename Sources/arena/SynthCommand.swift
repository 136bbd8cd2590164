import ArenaData
import ArgumentParser

/// `arena synth`: writes a synthetic training file in the Kaggle train.csv schema.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic training file in the Kaggle train.csv schema.",
        discussion: """
            The rows look like the Chatbot Arena data in shape and size (about 3.1 KB a row: \
            57,477 rows make about 180 MB) and are labelled by a hidden rule a model can learn \
            (longer, better-structured answers from stronger models win more often; refusals and \
            empty answers lose). The same seed writes the same file byte for byte. Use it for \
            size and speed tests; measure quality on real data.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Number of rows to write (at least 1).")
    var rows = 1_000

    @Option(help: "Seed of the generator; the same seed writes the same file byte for byte.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("The file to write; must end in .csv. It is replaced atomically.", valueName: "file"))
    var out: String

    func validate() throws {
        guard rows >= 1 else {
            throw ValidationError("--rows must be at least 1 (got \(rows)).")
        }
        guard rows <= SyntheticBattleGenerator.maximumRows else {
            throw ValidationError("--rows must be at most \(SyntheticBattleGenerator.maximumRows) (got \(rows)).")
        }
        guard out.lowercased().hasSuffix(".csv") else {
            throw ValidationError("--out must name a .csv file (synth writes the Kaggle train.csv schema); got '\(out)'.")
        }
    }

    func run() throws {
        let logger = global.makeLogger("synth")
        let clock = ContinuousClock()
        let start = clock.now
        // Progress every 10% for files big enough that it takes a while.
        let reportsProgress = rows >= 20_000
        var nextDecile = 1
        let bytes = try SyntheticBattleGenerator.writeKaggleCSV(rows: rows, seed: seed, to: out) { written in
            guard reportsProgress else { return }
            while nextDecile <= 9 && written * 10 >= rows * nextDecile {
                logger.info("\(nextDecile * 10)% (\(written) of \(rows) rows)")
                nextDecile += 1
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        logger.info(
            "wrote \(rows) rows (\(Self.formatMegabytes(bytes))) to \(out) in \(Self.formatTenths(seconds)) s")
    }

    /// "180.2 MB" (decimal megabytes, one decimal).
    static func formatMegabytes(_ bytes: Int) -> String {
        formatTenths(Double(bytes) / 1_000_000) + " MB"
    }

    /// A number with one decimal, without Foundation.
    static func formatTenths(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
