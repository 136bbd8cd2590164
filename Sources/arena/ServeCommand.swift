import ArgumentParser
import FeatureModels
import Finetuning
import Foundation
import Logging
import Pipelines
import Prediction
import Runs
import Server
import Torch

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a finished run over HTTP: POST battles to /predict, get P(A), P(B), P(tie).",
        discussion: """
            GET /health answers {"status": "ok", "model": ..., "run": ...}. POST /predict takes \
            {"battles": [{"id": "1", "prompt": "...", "response_a": "...", "response_b": "..."}]} \
            (each text a string or a list of turns; id optional) and answers {"predictions": \
            [{"id": "1", "winner_model_a": ..., "winner_model_b": ..., "winner_tie": ...}]} in \
            the same order. A malformed body gets 400 with {"error": {"message": ...}} naming \
            the battle and field; more than --max-battles battles 413. Requests are scored one \
            at a time with the run loaded once. Stop with Ctrl-C.
            """
    )

    @Option(name: .customLong("run"), help: "The run folder to serve (any kind arena trains).")
    var runPath: String

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @Option(help: "Most battles in one request.")
    var maxBattles: Int = 256

    /// For fine-tuned runs.
    @OptionGroup var libtorch: LibTorchOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535 (got \(port))") }
        guard maxBattles >= 1 else { throw ValidationError("--max-battles must be at least 1") }
    }

    func run() async throws {
        let logger = global.makeLogger("serve")
        let config = try RunFolder.readConfig(runPath: runPath)
        let device = try libtorch.prepare(for: config, runPath: runPath, logger: logger)
        let predictor = try RunPredictor(runPath: runPath, device: device)
        let service = PredictionService(predictor: predictor)
        logger.info("serving \(runPath) (\(config.kind.rawValue)) on http://\(host):\(port): POST /predict, GET /health")
        try await ArenaServer.application(service: service, host: host, port: port, maxBattles: maxBattles).runService()
    }
}
