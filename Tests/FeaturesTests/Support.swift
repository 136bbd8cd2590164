import ArenaData
import Foundation
import Testing

@testable import Features

/// ../shared/data/arena-sample/train.csv, found from this file's path, or nil.
let sampleTrainCSV: String? = {
    var directory = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { directory.deleteLastPathComponent() }
    let path = directory.deletingLastPathComponent().appendingPathComponent("shared/data/arena-sample/train.csv").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}()

/// The battles of the real sample (rows that decode).
func sampleBattles() throws -> [Battle] {
    let path = try #require(sampleTrainCSV, "../shared/data/arena-sample/train.csv is needed")
    return try BattleReader.readAll(path: path, options: .analysis).battles
}

/// A battle from its turns.
func makeBattle(prompt: [String], a: [String], b: [String]) -> Battle {
    Battle(id: "test", prompt: prompt, responseA: a, responseB: b)
}

/// `actual` equals `expected` within `tolerance`, relative, or absolute near zero.
func isClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-6) -> Bool {
    abs(actual - expected) <= tolerance * max(1, abs(expected))
}

/// Reference values written by tools/make_feature_fixtures.py with numpy and scikit-learn.
struct FeatureFixtures: Decodable {
    struct S3Row: Decodable {
        var id: String
        var a: [Double]
        var b: [Double]
    }

    struct TfidfCase: Decodable {
        var analyzer: String
        var ngramRange: [Int]
        var idf: [String: Double]
        var documents: [[String: Double]]
    }

    struct Tfidf: Decodable {
        var corpus: [String]
        var cases: [TfidfCase]
    }

    struct HashCase: Decodable {
        var text: String
        var fnv1a64: String
        var buckets: [String: Int]
    }

    var versions: [String: String]
    var s3: [S3Row]
    var tfidf: Tfidf
    var hashes: [HashCase]

    static func load() throws -> FeatureFixtures {
        let url = try #require(Bundle.module.url(forResource: "features", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(FeatureFixtures.self, from: Data(contentsOf: url))
    }
}
