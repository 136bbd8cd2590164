import ArenaData
import Foundation
import Hummingbird
import HummingbirdTesting
import Pipelines
import Prediction
import Runs
import Testing

@testable import Server

/// A finished class-prior run with two folds (its prediction is their mean), written by hand.
func priorRun() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("arena-serve-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try RunFolder.writeJSON(RunConfig(kind: .prior, data: "train.csv", rows: 10, folds: 2, seed: 0, createdAt: "now"), path: path + "/config.json")
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
        (#"{"battles": [1]}"#, .badRequest, "battles[0] is a number; expected an object"),
        (#"{"battles": [{"prompt": "p", "response_a": "a"}]}"#, .badRequest, "battles[0].response_b is missing; expected a string or a list of turns"),
        (#"{"battles": [{"prompt": "p", "response_a": ["a", 3], "response_b": "b"}]}"#, .badRequest, "battles[0].response_a[1] is a number; expected a string or null"),
        (#"{"battles": [{"id": true, "prompt": "p", "response_a": "a", "response_b": "b"}]}"#, .badRequest, "battles[0].id is a boolean; expected a string or an integer"),
        (#"{"battles": [{"id": "1", "prompt": "p", "response_a": "a", "response_b": "b"}, {"id": "1", "prompt": "p", "response_a": "a", "response_b": "b"}]}"#,
         .badRequest, "battles[1].id \"1\" appears twice"),
        // The id rule of JSON Lines files (one decoder, BattleJSON): an integer id is its decimal
        // text, so 7 and "7" collide; a number with a fraction or an exponent is refused.
        (#"{"battles": [{"id": 7, "prompt": "p", "response_a": "a", "response_b": "b"}, {"id": "7", "prompt": "p", "response_a": "a", "response_b": "b"}]}"#,
         .badRequest, "battles[1].id \"7\" appears twice (also battles[0])"),
        (#"{"battles": [{"id": 7.0, "prompt": "p", "response_a": "a", "response_b": "b"}]}"#,
         .badRequest, "battles[0].id is 7.0, a number that is not an integer; expected a string or an integer"),
        (#"{"battles": [{"id": 1e2, "prompt": "p", "response_a": "a", "response_b": "b"}]}"#, .badRequest, "battles[0].id is 1e2, a number that is not an integer"),
        (#"{"battles": [{"id": "", "prompt": "p", "response_a": "a", "response_b": "b"}]}"#, .badRequest, "battles[0].id is empty or only whitespace"),
        (#"{"battles": [{"id": "q", "prompt": "p", "response_a": "a", "prompt": "p2", "response_b": "b"}]}"#,
         .badRequest, "battles[0].prompt appears more than once in the object; expected each field once (which one holds the data?) (battle id q)"),
        (#"{"battles": [{"id": "q", "prompt": {"text": "p"}, "response_a": "a", "response_b": "b"}]}"#,
         .badRequest, "battles[0].prompt is an object; expected a string or a list of turns (strings or null) (battle id q)"),
        (#"{"battles": [{"id": "1", "prompt": "p", "response_a": "a", "response_b": "b"}, {"prompt": "p", "response_a": "a", "response_b": "b"}]}"#,
         .badRequest, "battles[1].id \"1\" appears twice (also battles[0]), as battles[1] has no id and a battle without one is given its position"),
        (#"{"battles": {"id": 1}}"#, .badRequest, "\"battles\" is an object; expected a list of battles"),
        ("[1, 2]", .badRequest, "the body is an array; expected a JSON object with a \"battles\" list"),
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
