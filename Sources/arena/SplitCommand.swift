import ArenaData
import ArgumentParser

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a labelled Kaggle CSV into a training file and a test file with its labels kept apart.",
        discussion: """
            Writes OUT-DIR/train.csv (the training rows, as they were), OUT-DIR/test.csv (the \
            held-out rows in the Kaggle test.csv schema: id, prompt, response_a, response_b) and \
            OUT-DIR/test_labels.csv (the held-out rows with their labels, for `arena evaluate`). \
            The split is stratified by winner and seeded. Rows are copied byte for byte, \
            including rows whose text cells do not decode.
            """
    )

    @Option(help: "Labelled data in the Kaggle train.csv schema.")
    var data: String

    @Option(help: "The share of rows held out as the test file.")
    var testFraction = 0.2

    @Option(help: "Seed of the split.")
    var seed: UInt64 = 0

    @Option(help: "The folder to write train.csv, test.csv and test_labels.csv into.")
    var outDir: String

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard testFraction > 0, testFraction < 1 else {
            throw ValidationError("--test-fraction must be between 0 and 1 (got \(testFraction))")
        }
        guard data.lowercased().hasSuffix(".csv") else {
            throw ValidationError("--data must be a Kaggle .csv file (JSON Lines files are not split by this command)")
        }
    }

    func run() throws {
        let logger = global.makeLogger("split")
        // Never over the input (split --data d/train.csv --out-dir d would replace it).
        for name in ["train.csv", "test.csv", "test_labels.csv"] { _ = try OutputPath.resolve(outDir + "/" + name, inputs: [data]) }
        // Pass 1: the label of every row; no row is dropped, so row numbers line up with pass 2.
        let everyRow = LoadOptions(labels: .required, decodeFailures: .keepRaw)
        let (battles, report) = try BattleReader.readAll(path: data, options: everyRow)
        DataLoading.log(report, logger: logger)
        let labels = battles.map { $0.winner?.rawValue ?? 0 }
        let (_, heldOut) = try StratifiedKFold.holdout(labels: labels, fraction: testFraction, seed: seed)
        let isHeldOut = Set(heldOut)

        // Pass 2: copy the records.
        let reader = try CSVReader(path: data)
        var record = CSVRecord()
        guard try reader.next(into: &record) else { throw DataError.emptyFile(path: data) }
        let header = record.strings
        let testColumns = [KaggleColumn.id] + KaggleColumn.texts
        let testIndices = testColumns.compactMap { header.firstIndex(of: $0) }
        var train = CSVWriter()
        var test = CSVWriter()
        var testLabels = CSVWriter()
        train.write(header)
        testLabels.write(header)
        test.write(testColumns)
        var row = 0
        while try reader.next(into: &record) {
            let fields = record.strings
            if isHeldOut.contains(row) {
                testLabels.write(fields)
                test.write(testIndices.map { fields[$0] })
            } else {
                train.write(fields)
            }
            row += 1
        }
        try AtomicFile.makeDirectory(outDir)
        try AtomicFile.write(train.take(), to: outDir + "/train.csv")
        try AtomicFile.write(test.take(), to: outDir + "/test.csv")
        try AtomicFile.write(testLabels.take(), to: outDir + "/test_labels.csv")
        print(
            "\(battles.count - heldOut.count) training rows to \(outDir)/train.csv, \(heldOut.count) test rows to \(outDir)/test.csv (labels in \(outDir)/test_labels.csv)"
        )
    }
}
