import ArenaData
import Foundation
import Prediction
import Runs

/// Why a report could not be made; every case names the file.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// config.json or metrics.json missing or unreadable (the run format's error names the file).
    case run(RunError)
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .run(error): return error.description
        case let .missingFile(path): return "\(path): file not found"
        case let .unreadable(path, reason): return "\(path): cannot read (\(reason))"
        case let .malformed(path, line, reason): return "\(path):\(line): \(reason)"
        }
    }
}

/// What a report shows about one run folder.
public struct RunReport: Sendable {
    public var name: String
    public var path: String
    public var config: RunConfig
    public var metrics: RunMetrics
    /// Reliability bins of the out-of-fold predictions (top-label confidence).
    public var reliability: [ReliabilityBin]
    public var outOfFoldRows: Int
    /// Feature importances (mean gain), largest first; nil without importances.csv.
    public var importances: [(feature: String, gain: Double)]?
    /// Validation log loss per boosting round, per fold; nil without history.csv.
    public var history: [[Double]]?
    /// Optimizer steps of a gradient-trained run, from training.csv; nil without it.
    public var training: [TrainingRecord]?

    public init(
        name: String, path: String, config: RunConfig, metrics: RunMetrics, reliability: [ReliabilityBin], outOfFoldRows: Int,
        importances: [(feature: String, gain: Double)]? = nil, history: [[Double]]? = nil
    ) {
        self.name = name
        self.path = path
        self.config = config
        self.metrics = metrics
        self.reliability = reliability
        self.outOfFoldRows = outOfFoldRows
        self.importances = importances
        self.history = history
    }

    /// training.csv: `fold,step,learning_rate,training_loss[,validation_loss]`, one row per
    /// optimizer step (validation_loss empty where it was not measured), as a fine-tuning run
    /// writes it.
    static func readTraining(_ path: String) throws(ReportError) -> [TrainingRecord]? {
        guard let rows = try readCSV(path, required: false), let header = rows.first else { return nil }
        let fold = try column("fold", in: header, path: path)
        let step = try column("step", in: header, path: path)
        let rate = try column("learning_rate", in: header, path: path)
        let loss = try column("training_loss", in: header, path: path)
        let validation = header.firstIndex(of: "validation_loss")
        var records: [TrainingRecord] = []
        for (offset, row) in rows.dropFirst().enumerated() {
            guard row.count == header.count, let f = Int(row[fold]), let s = Int(row[step]), let r = Double(row[rate]),
                  let l = Double(row[loss]) else {
                throw .malformed(path: path, line: offset + 2, reason: "expected integer fold and step and numeric learning_rate and training_loss")
            }
            var v: Double?
            if let validation, !row[validation].isEmpty {
                guard let value = Double(row[validation]) else {
                    throw .malformed(path: path, line: offset + 2, reason: "validation_loss \"\(row[validation])\" is not a number")
                }
                v = value
            }
            records.append(TrainingRecord(fold: f, step: s, learningRate: r, trainingLoss: l, validationLoss: v))
        }
        return records
    }

    /// Reads config.json, metrics.json and oof.csv (required), importances.csv and history.csv
    /// (when present) from a run folder.
    public static func load(path: String) throws(ReportError) -> RunReport {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        let config: RunConfig
        let metrics: RunMetrics
        do {
            config = try RunFolder.readConfig(runPath: trimmed)
            metrics = try RunFolder.readJSON(RunMetrics.self, runPath: trimmed, name: "metrics.json")
        } catch { throw .run(error) }
        let oofPath = trimmed + "/oof.csv"
        guard FileManager.default.fileExists(atPath: oofPath) else { throw .missingFile(path: oofPath) }
        let oof: OutOfFoldPredictions
        do { oof = try OutOfFoldPredictions.read(runPath: trimmed) } catch { throw .run(error) }
        var confidence: [Double] = [], correct: [Bool] = []
        for (probabilities, label) in zip(oof.probabilities, oof.labels) {
            guard let label else { continue }
            let top = probabilities.mostLikely
            confidence.append(probabilities[top])
            correct.append(top.rawValue == label)
        }
        var importances: [(feature: String, gain: Double)]?
        let importancePath = trimmed + "/importances.csv"
        if let rows = try readCSV(importancePath, required: false), let header = rows.first {
            let feature = try column("feature", in: header, path: importancePath)
            let gain = try column("gain", in: header, path: importancePath)
            var list: [(feature: String, gain: Double)] = []
            for (offset, row) in rows.dropFirst().enumerated() {
                guard row.count == header.count, let value = Double(row[gain]) else {
                    throw .malformed(path: importancePath, line: offset + 2, reason: "expected a feature name and a numeric gain")
                }
                list.append((row[feature], value))
            }
            importances = list.sorted { $0.gain > $1.gain }
        }
        var history: [[Double]]?
        let historyPath = trimmed + "/history.csv"
        if let rows = try readCSV(historyPath, required: false), let header = rows.first {
            let fold = try column("fold", in: header, path: historyPath)
            let round = try column("round", in: header, path: historyPath)
            let loss = try column("validation_log_loss", in: header, path: historyPath)
            var byFold: [Int: [(Int, Double)]] = [:]
            for (offset, row) in rows.dropFirst().enumerated() {
                guard row.count == header.count, let f = Int(row[fold]), let r = Int(row[round]), let l = Double(row[loss]) else {
                    throw .malformed(path: historyPath, line: offset + 2, reason: "expected integer fold and round and a numeric validation_log_loss")
                }
                byFold[f, default: []].append((r, l))
            }
            history = byFold.keys.sorted().map { key in byFold[key]!.sorted { $0.0 < $1.0 }.map(\.1) }
        }
        let name = URL(fileURLWithPath: trimmed).lastPathComponent
        var report = RunReport(
            name: name, path: trimmed, config: config, metrics: metrics,
            reliability: ReliabilityBin.bins(confidence: confidence, correct: correct), outOfFoldRows: confidence.count,
            importances: importances, history: history)
        report.training = try readTraining(trimmed + "/training.csv")
        return report
    }

    static func column(_ name: String, in header: [String], path: String) throws(ReportError) -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw .malformed(path: path, line: 1, reason: "no column '\(name)' (columns: \(header.joined(separator: ", ")))")
        }
        return index
    }

    /// All records of a CSV file as strings; nil when the file is absent and not required.
    static func readCSV(_ path: String, required: Bool) throws(ReportError) -> [[String]]? {
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw .missingFile(path: path) }
            return nil
        }
        do {
            let reader = try CSVReader(path: path)
            var rows: [[String]] = []
            while let record = try reader.next() { rows.append(record.strings) }
            return rows
        } catch {
            throw .unreadable(path: path, reason: error.description)
        }
    }
}

/// One optimizer step of a gradient-trained run (training.csv).
public struct TrainingRecord: Equatable, Sendable {
    public var fold: Int
    public var step: Int
    public var learningRate: Double
    public var trainingLoss: Double
    public var validationLoss: Double?

    public init(fold: Int, step: Int, learningRate: Double, trainingLoss: Double, validationLoss: Double? = nil) {
        self.fold = fold
        self.step = step
        self.learningRate = learningRate
        self.trainingLoss = trainingLoss
        self.validationLoss = validationLoss
    }
}
