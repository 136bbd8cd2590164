import ArenaData
import Foundation
import Hummingbird
import Pipelines
import Runs

/// The HTTP service of `arena serve`: one finished run, loaded once, scoring battles.
///
///     GET  /health   {"status": "ok", "model": "cross", "run": "runs/minilm"}
///     POST /predict  {"battles": [{"id": "1", "prompt": "...", "response_a": "...", "response_b": "..."}]}
///                    -> {"predictions": [{"id": "1", "winner_model_a": 0.41, "winner_model_b": 0.33, "winner_tie": 0.26}]}
///
/// Texts are a string (one turn) or a list of turns (strings or null), as in the Kaggle files;
/// `id` is optional (the battle's position when absent), a string or an integer (`7` and `"7"`
/// are the same id, `7.0` is refused), as in JSON Lines files: both use `BattleJSON`. A
/// malformed body is answered 400 with `{"error": {"message": ...}}` naming the battle and
/// field; more than `maxBattles` battles 413.
public enum ArenaServer {
    /// The routes, scoring with `service`.
    public static func router(service: PredictionService, maxBattles: Int = 256) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ -> Health in
            Health(status: "ok", model: service.model, run: service.runPath)
        }
        router.post("predict") { request, context -> PredictResponse in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let battles = try PredictRequest.battles(from: Array(body.readableBytesView), maxBattles: maxBattles)
            let probabilities = try await service.predict(battles)
            return PredictResponse(predictions: zip(battles, probabilities).map { battle, row in
                Prediction(id: battle.id, winnerModelA: row.modelA, winnerModelB: row.modelB, winnerTie: row.tie)
            })
        }
        return router
    }

    /// The application listening on `host`:`port`.
    public static func application(
        service: PredictionService, host: String, port: Int, maxBattles: Int = 256
    ) -> some ApplicationProtocol {
        Application(
            router: router(service: service, maxBattles: maxBattles),
            configuration: .init(address: .hostname(host, port: port), serverName: "arena"))
    }
}

/// Scores battles with one run, one request at a time (libtorch and XGBoost models are not
/// shared between concurrent calls).
public actor PredictionService {
    private let predictor: RunPredictor
    public nonisolated let model: String
    public nonisolated let runPath: String

    public init(predictor: RunPredictor) {
        self.predictor = predictor
        model = predictor.config.kind.rawValue
        runPath = predictor.runPath
    }

    public func predict(_ battles: [Battle]) throws -> [WinnerProbabilities] {
        do {
            return try predictor.predict(battles)
        } catch {
            throw HTTPError(.internalServerError, message: "prediction failed: \(error)")
        }
    }
}

struct Health: ResponseEncodable {
    var status: String
    var model: String
    var run: String
}

struct Prediction: Codable {
    var id: String
    var winnerModelA: Double
    var winnerModelB: Double
    var winnerTie: Double

    enum CodingKeys: String, CodingKey {
        case id
        case winnerModelA = "winner_model_a"
        case winnerModelB = "winner_model_b"
        case winnerTie = "winner_tie"
    }
}

struct PredictResponse: ResponseEncodable {
    var predictions: [Prediction]
}

/// Reading the body of POST /predict with ArenaData's `BattleRequest` (the decoder the JSON
/// Lines reader shares), its errors turned into HTTP errors: 400, or 413 over `maxBattles`.
enum PredictRequest {
    static func battles(from body: [UInt8], maxBattles: Int) throws -> [Battle] {
        do {
            return try BattleRequest.battles(from: body, maxBattles: maxBattles)
        } catch {
            switch error.status {
            case .badRequest: throw HTTPError(.badRequest, message: error.message)
            case .tooLarge: throw HTTPError(.contentTooLarge, message: error.message)
            }
        }
    }
}
