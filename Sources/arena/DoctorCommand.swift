import ArgumentParser
import FeatureModels
import Finetuning
import Foundation
import Logging
import Pipelines
import Prediction
import Runs
import Torch

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Say what arena computes with here (libtorch, CPU kernels, BLAS, threads, CUDA) and what looks wrong.",
        discussion: """
            Prints the libtorch version and the library loaded, the CPU kernel family libtorch \
            chose (DEFAULT, AVX2, AVX512), its BLAS and oneDNN, the CPU model and its vector \
            instructions, threads and CUDA devices; then a warning for each problem found, such \
            as kernels below what the CPU supports (a fallback), a BLAS that is neither MKL nor \
            OpenBLAS, more threads than CPUs, or no bfloat16 instructions. The libtorch commands \
            (embed, finetune, predict and serve of a fine-tuned run) log the same warnings at \
            start-up. Exit status 0 either way.
            """
    )

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Also print libtorch's whole build configuration and parallel info.")
    var full = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let report = RuntimeReport.current()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("arena \(arenaVersionString)")
        print("libtorch        \(report.libtorchVersion) (\(report.libtorchPath.isEmpty ? "path unknown" : report.libtorchPath))")
        print("CPU kernels     \(report.cpuCapability)")
        print("BLAS            \(report.blas)\(report.onednn.map { ", \($0)" } ?? "")")
        print("CPU             \(report.cpuModel)")
        print("CPU features    \(report.cpuFlags.joined(separator: " "))")
        print("threads         \(report.threads) of \(report.logicalProcessors) logical CPUs")
        print("CUDA devices    \(report.cudaDevices) (\(report.cudaKernels ? "CUDA build" : "CPU build"))")
        if full {
            print("\n" + LibTorch.buildConfiguration)
            print(LibTorch.parallelInfo)
        }
        if let note = report.bfloat16Warning { print("note: \(note)") }
        if report.warnings.isEmpty {
            print("no problems found")
        } else {
            for warning in report.warnings { print("warning: \(warning)") }
        }
    }
}

/// Logs the runtime report's warnings (a slow fallback, oversubscribed threads) once, at the
/// start of a command that computes with libtorch.
enum RuntimeWarnings {
    static func log(_ logger: Logging.Logger, bfloat16: Bool = false) {
        let report = RuntimeReport.current()
        for warning in report.warnings { logger.warning("\(warning)") }
        if bfloat16, let note = report.bfloat16Warning { logger.warning("\(note)") }
        logger.debug("libtorch \(report.libtorchVersion), \(report.cpuCapability) kernels, BLAS \(report.blas), \(report.threads) threads")
    }
}
