import ArgumentParser
import FeatureModels
import Finetuning
import Logging
import Runs
import Torch

/// `--device` and `--threads` of the commands that run libtorch models (embed, finetune, and
/// predict and serve for fine-tuned runs): one spelling and one help text everywhere.
struct LibTorchOptions: ParsableArguments {
    @Option(help: "Where the model runs: cpu, cuda, cuda:N or auto (the first GPU when there is one, else the CPU).")
    var device = "cpu"

    @Option(help: "libtorch threads (default: libtorch's choice, the number of cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    /// The device for predicting with the run of `config`: for a fine-tuned run libtorch is set
    /// up as by ``prepare()`` and a bfloat16 run on a CPU without native bfloat16 is warned of;
    /// other runs do not use libtorch, so only the device is checked.
    func prepare(for config: RunConfig, runPath: String, logger: Logger) throws -> Device {
        guard let finetune = try config.finetuneSettings(runPath: runPath) else {
            // A feature-model run with embedding features runs its encoder to embed new battles.
            if try config.featureModelSettings(runPath: runPath)?.embeddings != nil { return try prepare() }
            return try DeviceOption.resolve(device)
        }
        let device = try prepare()
        RuntimeWarnings.log(logger, bfloat16: finetune.precision == .bfloat16)
        return device
    }

    /// Sets up libtorch for this process (arena's malloc settings, the thread count) and
    /// returns the device, checked against the CUDA devices libtorch sees.
    func prepare() throws -> Device {
        LibTorch.keepFreedMemory()
        if let threads { try LibTorch.setThreadCount(threads) }
        return try DeviceOption.resolve(device)
    }
}

/// `--device` of the libtorch commands.
enum DeviceOption {
    /// The device named by `text` ("cpu", "cuda", "cuda:N", "auto"), checked against the CUDA
    /// devices libtorch sees, so a CPU-only build fails at once with a clear message.
    static func resolve(_ text: String) throws -> Device {
        let device: Device
        do { device = try Device(parsing: text) } catch { throw ValidationError("--device: \(error)") }
        if case .cuda(let index) = device, index >= Device.cudaDeviceCount {
            let build = LibTorch.hasCUDAKernels
                ? "this build links libtorch's CUDA kernels, so the GPU or its driver is missing (check nvidia-smi)"
                : "this build links the CPU libtorch; build with scripts/setup-libtorch.sh --cuda (README: \"libtorch\")"
            throw ValidationError("--device \(text): libtorch sees \(Device.cudaDeviceCount) CUDA device(s); \(build)")
        }
        return device
    }
}
