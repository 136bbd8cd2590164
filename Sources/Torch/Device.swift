import CTorch

/// Where a tensor lives.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    /// A CUDA device by index (needs a CUDA build of libtorch, see the README).
    case cuda(Int)

    /// The number of CUDA devices libtorch sees (0 with a CPU-only libtorch).
    public static var cudaDeviceCount: Int {
        var count: Int64 = 0
        guard ctorch_cuda_device_count(&count) == 0 else { return 0 }
        return Int(count)
    }

    /// The first CUDA device when there is one, else the CPU.
    public static var best: Device { cudaDeviceCount > 0 ? .cuda(0) : .cpu }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }

    var typeCode: Int32 {
        switch self {
        case .cpu: return Int32(CTORCH_CPU)
        case .cuda: return Int32(CTORCH_CUDA)
        }
    }

    var indexCode: Int32 {
        switch self {
        case .cpu: return -1
        case .cuda(let index): return Int32(index)
        }
    }

    init(type: Int32, index: Int32) throws {
        switch Int(type) {
        case Int(CTORCH_CPU): self = .cpu
        case Int(CTORCH_CUDA): self = .cuda(Int(max(index, 0)))
        default: throw TorchError.invalidArgument("libtorch returned a device type arena does not handle (c10::DeviceType \(type))")
        }
    }

    /// Parses "cpu", "cuda", "cuda:N" or "best" (command-line flags).
    public init(parsing text: String) throws {
        let lowered = text.lowercased()
        switch lowered {
        case "cpu": self = .cpu
        case "cuda", "gpu": self = .cuda(0)
        case "best", "auto": self = .best
        default:
            if lowered.hasPrefix("cuda:"), let index = Int(lowered.dropFirst(5)), index >= 0 {
                self = .cuda(index)
            } else {
                throw TorchError.invalidArgument("unknown device \"\(text)\": expected cpu, cuda, cuda:N or auto")
            }
        }
    }
}
