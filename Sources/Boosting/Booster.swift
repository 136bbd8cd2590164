import CXGBoost
import Foundation

/// How `Booster.featureScores` measures a feature's importance (XGBoost's `importance_type`).
public enum FeatureImportance: String, Sendable, CaseIterable {
    /// The number of splits on the feature (the only type a linear model has: its weights).
    case weight
    /// The mean gain of the splits on the feature.
    case gain
    /// The mean number of rows (hessian sum) the splits on the feature cover.
    case cover
    /// The total gain of the splits on the feature.
    case totalGain = "total_gain"
    /// The total cover of the splits on the feature.
    case totalCover = "total_cover"
}

/// One feature's importance.
public struct FeatureScore: Equatable, Sendable {
    /// The feature's name (XGBoost's `f0`, `f1`, ... unless names were given).
    public var name: String
    /// One score for a tree model; one weight per class for a multi-class linear model.
    public var scores: [Double]

    /// A score entry for the feature `name`.
    public init(name: String, scores: [Double]) {
        self.name = name
        self.scores = scores
    }
}

/// An XGBoost model: trains round by round, evaluates, predicts, and saves as JSON.
///
/// The booster owns its XGBoost handle and frees it when the object goes away. Not
/// `Sendable`: use one booster from one task at a time. Most code trains through
/// `Boosting.train`, which drives this type.
public final class Booster {
    let handle: BoosterHandle

    /// An untrained booster. XGBoost keeps a prediction cache for each of `cachedMatrices`
    /// (the training and evaluation sets), which speeds up evaluation between rounds.
    public init(cachedMatrices: [DMatrix] = []) throws(BoostingError) {
        var handles: [DMatrixHandle?] = cachedMatrices.map(\.handle)
        var out: BoosterHandle?
        try callXGBoost("XGBoosterCreate") {
            withExtendedLifetime(cachedMatrices) {
                handles.withUnsafeMutableBufferPointer { buffer in
                    XGBoosterCreate(buffer.baseAddress, bst_ulong(buffer.count), &out)
                }
            }
        }
        handle = try requireHandle(out, from: "XGBoosterCreate")
    }

    /// An untrained booster with `parameters` set.
    public convenience init(parameters: BoosterParameters, cachedMatrices: [DMatrix] = []) throws(BoostingError) {
        try self.init(cachedMatrices: cachedMatrices)
        try setParameters(parameters.dictionary)
    }

    /// A booster read from a model in memory: XGBoost JSON (what `jsonModel()` returns), or the
    /// UBJSON and legacy binary formats that XGBoost also reads.
    /// - Throws: `.xgboost` with XGBoost's message when the bytes are not a model.
    public convenience init(jsonModel: [UInt8]) throws(BoostingError) {
        try self.init(cachedMatrices: [])
        try load(jsonModel)
    }

    /// A booster read from a model file written by `save(to:)` or by XGBoost in any language.
    /// - Throws: `.io` naming `path` when the file is missing, unreadable, empty or not a model.
    public convenience init(contentsOf path: String) throws(BoostingError) {
        let bytes = try ModelFile.contents(of: path)
        guard !bytes.isEmpty else { throw .io(path: path, reason: "the file is empty, not an XGBoost model") }
        try self.init(cachedMatrices: [])
        do {
            try load(bytes)
        } catch {
            throw .io(path: path, reason: "not a readable XGBoost model: \(error.xgboostMessage)")
        }
    }

    deinit {
        XGBoosterFree(handle)
    }

    /// Sets one XGBoost parameter by its XGBoost name and string value.
    ///
    /// XGBoost checks values lazily: an invalid value (`max_depth` = "abc", an unknown
    /// objective) fails at the next `updateOneIteration`, `predict` or `evaluate`.
    public func setParameter(_ name: String, _ value: String) throws(BoostingError) {
        try callXGBoost("XGBoosterSetParam") { XGBoosterSetParam(handle, name, value) }
    }

    /// Sets every parameter in `parameters` (in name order, so runs are reproducible).
    public func setParameters(_ parameters: [String: String]) throws(BoostingError) {
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            try setParameter(name, value)
        }
    }

    /// Boosts one round on `training` (XGBoost's `XGBoosterUpdateOneIter`); `iteration` counts from 0.
    public func updateOneIteration(_ iteration: Int, training: DMatrix) throws(BoostingError) {
        let round = try Self.round(iteration)
        try callXGBoost("XGBoosterUpdateOneIter") {
            withExtendedLifetime(training) { XGBoosterUpdateOneIter(handle, round, training.handle) }
        }
    }

    /// Evaluates the model's metrics (`eval_metric`) on named sets.
    ///
    /// - Returns: one entry per set and metric, keyed `"<set name>-<metric>"`, e.g.
    ///   `["valid-mlogloss": 1.0921]`.
    public func evaluate(iteration: Int, sets: [(name: String, matrix: DMatrix)]) throws(BoostingError) -> [String: Double] {
        Dictionary(try evaluationResults(iteration: iteration, sets: sets), uniquingKeysWith: { _, last in last })
    }

    /// The evaluation results in XGBoost's order: set by set, metric by metric.
    func evaluationResults(iteration: Int, sets: [(name: String, matrix: DMatrix)]) throws(BoostingError) -> [(key: String, value: Double)] {
        let round = try Self.round(iteration)
        if let name = sets.first(where: { $0.name.isEmpty || $0.name.contains("\t") })?.name {
            throw .invalidInput("evaluation set name \"\(name)\" must be non-empty and hold no tab")
        }
        var matrices: [DMatrixHandle?] = sets.map(\.matrix.handle)
        // strdup'd copies stay valid for the whole call; freed right after.
        var names: [UnsafePointer<CChar>?] = sets.map { UnsafePointer(strdup($0.name)) }
        defer { names.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        guard !names.contains(where: { $0 == nil }) else { throw .invalidInput("out of memory copying set names") }
        var text: UnsafePointer<CChar>?
        try callXGBoost("XGBoosterEvalOneIter") {
            withExtendedLifetime(sets) {
                matrices.withUnsafeMutableBufferPointer { matrixBuffer in
                    names.withUnsafeMutableBufferPointer { nameBuffer in
                        XGBoosterEvalOneIter(
                            handle, round, matrixBuffer.baseAddress, nameBuffer.baseAddress,
                            bst_ulong(matrixBuffer.count), &text)
                    }
                }
            }
        }
        let result = text.map { String(cString: $0) } ?? ""
        guard let parsed = Self.parseEvaluation(result) else {
            throw .xgboost(call: "XGBoosterEvalOneIter", message: "unexpected evaluation text \"\(result)\"")
        }
        return parsed
    }

    /// Parses XGBoost's evaluation line, e.g. `"[3]\tvalid-mlogloss:1.0921\tvalid-merror:0.42"`.
    static func parseEvaluation(_ text: String) -> [(key: String, value: Double)]? {
        var fields = text.split(separator: "\t", omittingEmptySubsequences: true)
        guard let first = fields.first, first.hasPrefix("[") else { return nil }
        fields.removeFirst()
        var results: [(key: String, value: Double)] = []
        for field in fields {
            guard let colon = field.lastIndex(of: ":"),
                  let value = Double(field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            else { return nil }
            results.append((String(field[..<colon]), value))
        }
        return results
    }

    /// Predicted probabilities (for `multi:softprob`), row-major: `matrix.rows` rows of one
    /// value per class. Other objectives give one value per row.
    ///
    /// - Parameter iterationRange: the boosting rounds to use, e.g. `0..<(best + 1)` after
    ///   early stopping; `nil` uses every round. A linear booster always uses its final
    ///   weights (XGBoost ignores the end of the range there).
    public func predict(_ matrix: DMatrix, iterationRange: Range<Int>? = nil) throws(BoostingError) -> [Float] {
        if let range = iterationRange, range.lowerBound < 0 || range.isEmpty {
            throw .invalidInput("iteration range \(range) must be non-empty and start at 0 or later")
        }
        // iteration_end 0 means "every round" to XGBoost.
        let config = """
            {"type": 0, "training": false, "iteration_begin": \(iterationRange?.lowerBound ?? 0), \
            "iteration_end": \(iterationRange?.upperBound ?? 0), "strict_shape": false}
            """
        var shape: UnsafePointer<bst_ulong>?
        var dimensions: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try callXGBoost("XGBoosterPredictFromDMatrix") {
            withExtendedLifetime(matrix) {
                XGBoosterPredictFromDMatrix(handle, matrix.handle, config, &shape, &dimensions, &result)
            }
        }
        guard let shape, let result else {
            throw .xgboost(call: "XGBoosterPredictFromDMatrix", message: "returned success but no predictions")
        }
        let count = UnsafeBufferPointer(start: shape, count: Int(dimensions)).reduce(1) { $0 * Int($1) }
        // XGBoost owns `result` until the next call on this booster: copy it out now.
        return Array(UnsafeBufferPointer(start: result, count: count))
    }

    /// The model as XGBoost JSON bytes (loadable by `init(jsonModel:)` and by XGBoost in Python,
    /// R, ...). Attributes such as `best_iteration` are included.
    public func jsonModel() throws(BoostingError) -> [UInt8] {
        var length: bst_ulong = 0
        var bytes: UnsafePointer<CChar>?
        try callXGBoost("XGBoosterSaveModelToBuffer") {
            XGBoosterSaveModelToBuffer(handle, #"{"format": "json"}"#, &length, &bytes)
        }
        guard let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(length)))
    }

    /// Writes the JSON model to `path` atomically (a temporary file renamed over the target),
    /// so a reader never sees half a model.
    /// - Throws: `.io` naming `path` when it cannot be written.
    public func save(to path: String) throws(BoostingError) {
        try ModelFile.replace(path, with: try jsonModel())
    }

    /// The number of boosting rounds in the model.
    public var boostedRounds: Int {
        get throws(BoostingError) {
            var rounds: Int32 = 0
            try callXGBoost("XGBoosterBoostedRounds") { XGBoosterBoostedRounds(handle, &rounds) }
            return Int(rounds)
        }
    }

    /// The number of feature columns the model was trained on.
    public var featureCount: Int {
        get throws(BoostingError) {
            var count: bst_ulong = 0
            try callXGBoost("XGBoosterGetNumFeature") { XGBoosterGetNumFeature(handle, &count) }
            return Int(count)
        }
    }

    /// The best round recorded by early stopping (the `best_iteration` attribute), if any.
    public var bestIteration: Int? {
        get throws(BoostingError) { try attribute("best_iteration").flatMap { Int($0) } }
    }

    /// A string attribute saved with the model, or nil when it is not set.
    public func attribute(_ key: String) throws(BoostingError) -> String? {
        var value: UnsafePointer<CChar>?
        var found: Int32 = 0
        try callXGBoost("XGBoosterGetAttr") { XGBoosterGetAttr(handle, key, &value, &found) }
        guard found != 0, let value else { return nil }
        return String(cString: value)
    }

    /// Sets a string attribute saved with the model (e.g. `best_iteration`); nil deletes it.
    public func setAttribute(_ key: String, _ value: String?) throws(BoostingError) {
        try callXGBoost("XGBoosterSetAttr") {
            if let value { XGBoosterSetAttr(handle, key, value) } else { XGBoosterSetAttr(handle, key, nil) }
        }
    }

    /// Feature importances (XGBoost's `XGBoosterFeatureScore`).
    ///
    /// A tree model lists only the features used in some split, with one score each. A linear
    /// model supports only `.weight` and lists every feature with one weight per class.
    /// - Parameter featureNames: one name per feature column; nil uses `f0`, `f1`, ...
    public func featureScores(type: FeatureImportance = .gain, featureNames: [String]? = nil) throws(BoostingError) -> [FeatureScore] {
        if let featureNames {
            let expected = try featureCount
            guard featureNames.count == expected else {
                throw .invalidInput("got \(featureNames.count) feature names for a model of \(expected) features")
            }
        }
        struct Config: Encodable {
            var importance_type: String
            var feature_names: [String]?
        }
        let config: String
        do {
            let data = try JSONEncoder().encode(Config(importance_type: type.rawValue, feature_names: featureNames))
            config = String(decoding: data, as: UTF8.self)
        } catch {
            throw .invalidInput("feature names cannot be encoded as JSON: \(error)")
        }
        var featureCount: bst_ulong = 0
        var features: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var dimensions: bst_ulong = 0
        var shape: UnsafePointer<bst_ulong>?
        var scores: UnsafePointer<Float>?
        try callXGBoost("XGBoosterFeatureScore") {
            XGBoosterFeatureScore(handle, config, &featureCount, &features, &dimensions, &shape, &scores)
        }
        let count = Int(featureCount)
        guard count > 0 else { return [] }
        guard let features, let shape, let scores else {
            throw .xgboost(call: "XGBoosterFeatureScore", message: "returned \(count) features but no scores")
        }
        let total = UnsafeBufferPointer(start: shape, count: Int(dimensions)).reduce(1) { $0 * Int($1) }
        let perFeature = total / count
        return (0..<count).map { feature in
            let name = features[feature].map { String(cString: $0) } ?? "f\(feature)"
            let values = (0..<perFeature).map { Double(scores[feature * perFeature + $0]) }
            return FeatureScore(name: name, scores: values)
        }
    }

    /// `iteration` as XGBoost's `int` round index.
    private static func round(_ iteration: Int) throws(BoostingError) -> Int32 {
        guard let round = Int32(exactly: iteration), round >= 0 else {
            throw .invalidInput("iteration must be in 0...\(Int32.max), got \(iteration)")
        }
        return round
    }

    private func load(_ model: [UInt8]) throws(BoostingError) {
        guard !model.isEmpty else { throw .invalidInput("an empty buffer is not a model") }
        try callXGBoost("XGBoosterLoadModelFromBuffer") {
            model.withUnsafeBytes { XGBoosterLoadModelFromBuffer(handle, $0.baseAddress, bst_ulong($0.count)) }
        }
    }
}

private extension BoostingError {
    /// XGBoost's own message for `.xgboost`, the description otherwise.
    var xgboostMessage: String {
        if case .xgboost(_, let message) = self { return message }
        return description
    }
}
