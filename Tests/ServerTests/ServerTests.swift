import ArenaData
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Training

@testable import Server

/// A finished class-prior run with two folds (its prediction is their mean), written by hand.
func priorRun() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-serve-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try RunFolder.writeJSON(RunConfig(model: "prior", data: "train.csv", rows: 10, folds: 2, seed: 0, createdAt: "now"), path: path + "/config.json")
    try RunFolder.writeJSON(
        PriorRunModel(folds: [ClassPriorModel(probabilities: [0.5, 0.3, 0.2]), ClassPriorModel(probabilities: [0.3, 0.3, 0.4])]),
        path: path + "/model.json")
    return path
}

struct ErrorBody: Decodable {
    struct Details: Decodable { var message: String }
    var error: Details
}

struct PredictBody: Decodable {
    struct Row: Decodable {
        var id: String
        var winner_model_a: Double
        var winner_model_b: Double
        var winner_tie: Double
    }
    var predictions: [Row]
}

@Suite struct ServerTests {
    func app(maxBattles: Int = 3) throws -> (some ApplicationProtocol, String) {
        let path = try priorRun()
        let service = PredictionService(predictor: try RunPredictor(runPath: path))
        return (Application(router: ArenaServer.router(service: service, maxBattles: maxBattles)), path)
    }

    @Test func healthAndPredictions() async throws {
        let (app, path) = try app()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let health = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(health == ["status": "ok", "model": "prior", "run": path])
            }
            let body = #"{"battles": [{"id": "b7", "prompt": "Name a prime.", "response_a": "7", "response_b": ["Eight.", null]}, {"id": 12, "prompt": ["hi"], "response_a": "a", "response_b": "b"}, {"prompt": "x", "response_a": "y", "response_b": "z"}]}"#
            try await client.execute(uri: "/predict", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let result = try JSONDecoder().decode(PredictBody.self, from: Data(buffer: response.body))
                #expect(result.predictions.map(\.id) == ["b7", "12", "2"])
                for row in result.predictions {
                    #expect(abs(row.winner_model_a - 0.4) < 1e-12 && abs(row.winner_model_b - 0.3) < 1e-12 && abs(row.winner_tie - 0.3) < 1e-12)
                }
            }
        }
    }

    @Test(arguments: [
        ("not json", HTTPResponse.Status.badRequest, "the body is not JSON"),
        (#"{"rows": []}"#, .badRequest, "with a \"battles\" list"),
        (#"{"battles": []}"#, .badRequest, "\"battles\" is empty"),
        (#"{"battles": [1]}"#, .badRequest, "battles[0] must be an object"),
        (#"{"battles": [{"prompt": "p", "response_a": "a"}]}"#, .badRequest, "battles[0].response_b is missing"),
        (#"{"battles": [{"prompt": "p", "response_a": ["a", 3], "response_b": "b"}]}"#, .badRequest, "battles[0].response_a[1] must be a string or null"),
        (#"{"battles": [{"id": true, "prompt": "p", "response_a": "a", "response_b": "b"}]}"#, .badRequest, "battles[0].id must be a string or a number"),
        (#"{"battles": [{"id": "1", "prompt": "p", "response_a": "a", "response_b": "b"}, {"id": "1", "prompt": "p", "response_a": "a", "response_b": "b"}]}"#,
         .badRequest, "battles[1].id \"1\" appears twice"),
        (#"{"battles": [{"prompt": "p", "response_a": "a", "response_b": "b"}, {"prompt": "p", "response_a": "a", "response_b": "b"}, {"prompt": "p", "response_a": "a", "response_b": "b"}, {"prompt": "p", "response_a": "a", "response_b": "b"}]}"#,
         .contentTooLarge, "4 battles in one request; at most 3"),
    ])
    func badRequestsNameTheProblem(body: String, status: HTTPResponse.Status, message: String) async throws {
        let (app, path) = try app()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await app.test(.router) { client in
            try await client.execute(uri: "/predict", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == status)
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                #expect(error.error.message.contains(message), "\(error.error.message)")
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
