import ArgumentParser
import Torch

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
