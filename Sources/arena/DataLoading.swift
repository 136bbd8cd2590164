import ArenaData
import Logging

/// Reading data files for the commands, with the reader's warnings sent to the log.
enum DataLoading {
    /// Reads labelled training data; rows whose text does not decode are skipped and reported,
    /// or fatal with `strict`.
    static func training(path: String, strict: Bool, logger: Logger) throws -> [Battle] {
        let (battles, report) = try BattleReader.readAll(path: path, options: strict ? .strictTraining : .training)
        log(report, logger: logger)
        logger.info("\(path): \(battles.count) labelled rows")
        return battles
    }

    /// Reads prediction input: every row is kept, labels are not needed.
    static func prediction(path: String, logger: Logger) throws -> [Battle] {
        let (battles, report) = try BattleReader.readAll(path: path, options: .prediction)
        log(report, logger: logger)
        logger.info("\(path): \(battles.count) rows")
        return battles
    }

    static func log(_ report: LoadReport, logger: Logger) {
        for line in report.warnings { logger.warning("\(line)") }
        if report.repairedCharacters > 0 {
            logger.info("\(report.path): \(report.repairedCharacters) characters were not valid text (lone surrogates, invalid UTF-8) and became U+FFFD")
        }
    }
}
