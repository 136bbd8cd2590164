import ArenaData
import FeatureModels
import Features
import Finetuning
import Foundation
import Models
import Torch

/// Why an embeddings file cannot be used for a run's features.
public enum EmbeddingInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is missing, not a safetensors file, or lacks the tensors and metadata `arena
    /// embed` writes.
    case unreadable(path: String, reason: String)
    /// The file embeds other rows or texts than the data (`problem` says which).
    case otherData(path: String, data: String, problem: String)
    /// The file was made with another encoder or setting than the run's (`field` as in its
    /// metadata).
    case otherEncoder(path: String, field: String, file: String, run: String, runPath: String)
    /// An embeddings file was given for a run without embedding features.
    case notUsed(path: String, runPath: String)
    /// The run's encoder cannot embed the battles to predict.
    case encoderUnavailable(model: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot use the embeddings file \(path): \(reason)"
        case let .otherData(path, data, problem):
            return "\(path) does not hold the embeddings of \(data): \(problem)"
        case let .otherEncoder(path, field, file, run, runPath):
            return "\(path) was made with \(field) \(file), but the run \(runPath) was trained on embeddings with \(field) \(run)"
        case let .notUsed(path, runPath):
            return "the run \(runPath) was trained without embedding features; it does not take \(path)"
        case let .encoderUnavailable(model, reason):
            return "cannot embed the battles with the run's encoder \(model): \(reason)"
        }
    }
}

/// A file written by `arena embed`, read for the feature model: the vectors, the ids and the
/// encoder settings of its metadata.
public struct EmbeddingFile: Sendable {
    public let path: String
    /// The encoder and settings (the model as an absolute path) and the texts' digest.
    public let source: EmbeddingSource
    public let ids: [String]
    public let embeddings: BattleEmbeddings

    /// Reads `path`; throws ``EmbeddingInputError/unreadable(path:reason:)`` naming what is
    /// missing or malformed.
    public init(path: String) throws(EmbeddingInputError) {
        self.path = path
        func unreadable(_ reason: String) -> EmbeddingInputError { .unreadable(path: path, reason: reason) }
        guard FileManager.default.fileExists(atPath: path) else { throw unreadable("no such file") }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw unreadable("\(error)") }
        let metadata = file.metadata
        func field(_ name: String) throws(EmbeddingInputError) -> String {
            guard let value = metadata[name] else { throw unreadable("its metadata has no \"\(name)\" (not a file of `arena embed`)") }
            return value
        }
        var blocks: [[Float]] = []
        var rows = 0, width = 0
        for name in ["prompt", "response_a", "response_b"] {
            guard let info = file.info(name) else { throw unreadable("it has no tensor \"\(name)\" (not a file of `arena embed`)") }
            guard info.dtype == .float32, info.shape.count == 2, info.shape[1] >= 1 else {
                throw unreadable("tensor \"\(name)\" is \(info.dtype) \(info.shape); expected float32 [rows, width]")
            }
            if blocks.isEmpty { (rows, width) = (info.shape[0], info.shape[1]) }
            guard info.shape == [rows, width] else {
                throw unreadable("tensor \"\(name)\" has shape \(info.shape); prompt has [\(rows), \(width)]")
            }
            do { blocks.append(try file.tensor(name).floats()) } catch { throw unreadable("tensor \"\(name)\": \(error)") }
        }
        guard blocks.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw unreadable("it holds values that are not finite numbers") }
        guard let ids = try? JSONDecoder().decode([String].self, from: Data(field("ids").utf8)) else {
            throw unreadable("its metadata \"ids\" is not a JSON list of strings")
        }
        guard ids.count == rows else { throw unreadable("its metadata lists \(ids.count) ids for \(rows) rows of vectors") }
        guard let maxLength = Int(try field("max_length")) else { throw unreadable("its metadata \"max_length\" is not a number") }
        let normalized = try field("normalized")
        guard normalized == "true" || normalized == "false" else { throw unreadable("its metadata \"normalized\" is \(normalized)") }
        self.ids = ids
        source = EmbeddingSource(
            model: Self.absolute(try field("model")), modelType: try field("model_type"), pooling: try field("pooling"), maxLength: maxLength,
            normalized: normalized == "true", precision: try field("precision"), width: width, file: path,
            textsFingerprint: try field("texts_fnv1a"))
        do {
            embeddings = try BattleEmbeddings(rows: rows, width: width, prompt: blocks[0], responseA: blocks[1], responseB: blocks[2])
        } catch { throw unreadable("\(error)") }
    }

    /// Throws unless the file embeds exactly `battles` (read from `data`), in order: the same
    /// number of rows, the same ids and the same texts.
    public func check(battles: [Battle], data: String) throws(EmbeddingInputError) {
        func other(_ problem: String) -> EmbeddingInputError { .otherData(path: path, data: data, problem: problem) }
        guard ids.count == battles.count else { throw other("it has \(ids.count) rows, the data \(battles.count)") }
        if let row = battles.indices.first(where: { battles[$0].id != ids[$0] }) {
            throw other("row \(row + 1) has id \(ids[row]) in the file and \(battles[row].id) in the data")
        }
        let texts = BattleEmbedder.textsFingerprint(battles)
        guard texts == source.textsFingerprint else {
            throw other("the texts differ (texts_fnv1a \(source.textsFingerprint) in the file, \(texts) for the data)")
        }
    }

    /// Throws unless the file was made with the encoder and settings of `recorded` (a run's).
    public func check(encoder recorded: EmbeddingSource, runPath: String) throws(EmbeddingInputError) {
        let mine = Dictionary(uniqueKeysWithValues: source.encoderFields.map { ($0.name, $0.value) })
        for (name, value) in recorded.encoderFields where mine[name] != value {
            throw .otherEncoder(path: path, field: name, file: mine[name] ?? "(none)", run: value, runPath: runPath)
        }
    }

    /// `path` made absolute against the working directory and standardised.
    static func absolute(_ path: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        var standardized = url.standardizedFileURL.path
        while standardized.count > 1, standardized.hasSuffix("/") { standardized.removeLast() }
        return standardized
    }
}

extension BattleEmbedder {
    /// The digest of the texts `embed` embeds for `battles` (`texts_fnv1a` in its files).
    public static func textsFingerprint(_ battles: [Battle]) -> String {
        var fingerprint = FNV1a.offsetBasis
        for battle in battles {
            for text in [battle.prompt, battle.responseA, battle.responseB] {
                fingerprint = FNV1a.hash(text.joined(separator: "\n\n").utf8, basis: fingerprint)
                fingerprint = FNV1a.combine(fingerprint, 0)
            }
        }
        return String(fingerprint, radix: 16)
    }

    /// Embeds `battles` with this embedder, through a temporary file, and checks that the
    /// result was made the way `source` records.
    public func embeddings(of battles: [Battle], like source: EmbeddingSource, log: (String) -> Void = { _ in }) throws -> BattleEmbeddings {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arena-embed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("embeddings.safetensors").path
        _ = try embed(battles, to: path, checkpointSeconds: .infinity, log: log)
        let file = try EmbeddingFile(path: path)
        try file.check(encoder: source, runPath: "(recorded)")
        return file.embeddings
    }
}
