import ArenaData
import Foundation
import Hummingbird
import Training

/// The HTTP service of `arena serve`: one finished run, loaded once, scoring battles.
///
///     GET  /health   {"status": "ok", "model": "cross", "run": "runs/minilm"}
///     POST /predict  {"battles": [{"id": "1", "prompt": "...", "response_a": "...", "response_b": "..."}]}
///                    -> {"predictions": [{"id": "1", "winner_model_a": 0.41, "winner_model_b": 0.33, "winner_tie": 0.26}]}
///
/// Texts are a string (one turn) or a list of turns (strings or null), as in the Kaggle files;
/// `id` is optional (the battle's position when absent). A malformed body is answered 400 with
/// `{"error": {"message": ...}}` naming the battle and field; more than `maxBattles` battles 413.
public enum ArenaServer {
    /// The routes, scoring with `service`.
    public static func router(service: PredictionService, maxBattles: Int = 256) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ -> Health in
            Health(status: "ok", model: service.model, run: service.runPath)
        }
        router.post("predict") { request, context -> PredictResponse in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let battles = try PredictRequest.battles(from: Data(buffer: body), maxBattles: maxBattles)
            let probabilities = try await service.predict(battles)
            return PredictResponse(predictions: zip(battles, probabilities).map { battle, row in
                Prediction(id: battle.id, winnerModelA: row[0], winnerModelB: row[1], winnerTie: row[2])
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
        model = predictor.config.model
        runPath = predictor.runPath
    }

    public func predict(_ battles: [Battle]) throws -> [[Double]] {
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

/// Reading the body of POST /predict, with errors that say which battle and field.
enum PredictRequest {
    static func battles(from data: Data, maxBattles: Int) throws -> [Battle] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw HTTPError(.badRequest, message: "the body is not JSON; expected {\"battles\": [...]}")
        }
        guard let body = object as? [String: Any], let list = body["battles"] else {
            throw HTTPError(.badRequest, message: "expected a JSON object with a \"battles\" list")
        }
        guard let items = list as? [Any] else { throw HTTPError(.badRequest, message: "\"battles\" must be a list") }
        guard !items.isEmpty else { throw HTTPError(.badRequest, message: "\"battles\" is empty; send at least one battle") }
        guard items.count <= maxBattles else {
            throw HTTPError(.contentTooLarge, message: "\(items.count) battles in one request; at most \(maxBattles) (split the request)")
        }
        var seen = Set<String>()
        return try items.enumerated().map { index, item in
            guard let fields = item as? [String: Any] else { throw HTTPError(.badRequest, message: "battles[\(index)] must be an object") }
            let id: String
            switch fields["id"] {
            case nil, is NSNull: id = String(index)
            case let text as String: id = text
            case let number as NSNumber where !["c", "B"].contains(String(cString: number.objCType)): id = number.stringValue
            default: throw HTTPError(.badRequest, message: "battles[\(index)].id must be a string or a number")
            }
            guard seen.insert(id).inserted else { throw HTTPError(.badRequest, message: "battles[\(index)].id \"\(id)\" appears twice") }
            func turns(_ field: String) throws -> [String] {
                switch fields[field] {
                case let text as String: return [text]
                case let list as [Any]:
                    return try list.enumerated().map { turn, value in
                        if value is NSNull { return "" }
                        guard let text = value as? String else {
                            throw HTTPError(.badRequest, message: "battles[\(index)].\(field)[\(turn)] must be a string or null")
                        }
                        return text
                    }
                case nil: throw HTTPError(.badRequest, message: "battles[\(index)].\(field) is missing (a string or a list of turns)")
                default: throw HTTPError(.badRequest, message: "battles[\(index)].\(field) must be a string or a list of turns")
                }
            }
            return Battle(id: id, prompt: try turns("prompt"), responseA: try turns("response_a"), responseB: try turns("response_b"))
        }
    }
}
