import CTorch
import Foundation

/// What the loaded libtorch computes with on this machine, and what looks wrong: `arena doctor`
/// prints it, and the libtorch commands log its warnings at start-up.
///
/// The first wave linked Debian's libtorch 1.13, whose OpenBLAS did not recognise an Intel
/// Xeon with AMX and ran its SSE3 kernels at a third of PyTorch's speed without a word. The
/// checks here compare the kernel family libtorch chose with what the CPU offers, and name the
/// BLAS, so such a fallback is reported instead of silently slow.
public struct RuntimeReport: Codable, Sendable, Equatable {
    /// The libtorch version the shim was compiled against.
    public var libtorchVersion: String
    /// The libtorch_cpu library loaded by this process.
    public var libtorchPath: String
    /// The CPU kernel family libtorch dispatches to: "DEFAULT", "AVX2", "AVX512", ...
    public var cpuCapability: String
    /// BLAS_INFO of the build configuration ("mkl", "open", ...).
    public var blas: String
    /// The oneDNN (MKL-DNN) version line of the build configuration, if any.
    public var onednn: String?
    /// The CPU model name (/proc/cpuinfo).
    public var cpuModel: String
    /// The vector-instruction flags of the CPU that matter to the kernels.
    public var cpuFlags: [String]
    /// libtorch's intra-op threads and the logical CPUs of the machine.
    public var threads: Int
    public var logicalProcessors: Int
    public var cudaDevices: Int
    /// Whether the CUDA kernels are linked (a CUDA build), with or without a GPU.
    public var cudaKernels: Bool
    /// Problems, each a sentence saying what to do.
    public var warnings: [String]

    /// The flags looked for in /proc/cpuinfo.
    public static let relevantFlags = [
        "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16",
        "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8",
    ]

    /// The report of this process.
    public static func current() -> RuntimeReport {
        let configuration = LibTorch.runtimeInfo(0)
        let cpu = CPUInfo.read()
        let blas = configuration.firstMatch(after: "BLAS_INFO=", until: ",") ?? "unknown"
        let onednn = configuration.split(separator: "\n").first { $0.contains("MKL-DNN") || $0.contains("oneDNN") }
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "- ")) }
        var report = RuntimeReport(
            libtorchVersion: LibTorch.version, libtorchPath: LibTorch.runtimeInfo(3), cpuCapability: LibTorch.runtimeInfo(1),
            blas: blas, onednn: onednn, cpuModel: cpu.model, cpuFlags: relevantFlags.filter(cpu.flags.contains),
            threads: LibTorch.threadCount, logicalProcessors: ProcessInfo.processInfo.activeProcessorCount,
            cudaDevices: Device.cudaDeviceCount, cudaKernels: LibTorch.hasCUDAKernels, warnings: [])
        report.warnings = warnings(
            cpuCapability: report.cpuCapability, cpuFlags: Set(cpu.flags), blas: blas, threads: report.threads,
            logicalProcessors: report.logicalProcessors, environment: ProcessInfo.processInfo.environment)
        return report
    }

    /// The checks, on given facts (tests feed them the facts of other machines).
    public static func warnings(
        cpuCapability: String, cpuFlags: Set<String>, blas: String, threads: Int, logicalProcessors: Int,
        environment: [String: String]
    ) -> [String] {
        var warnings: [String] = []
        let hasAVX512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(cpuFlags.contains)
        let hasAVX2 = cpuFlags.contains("avx2") && cpuFlags.contains("fma")
        let capability = cpuCapability.uppercased()
        let best = hasAVX512 ? "AVX512" : hasAVX2 ? "AVX2" : nil
        let rank = ["DEFAULT": 0, "AVX2": 1, "AVX512": 2]
        if let best, let chosen = rank[capability], let possible = rank[best], chosen < possible {
            var cause = ""
            if let forced = environment["ATEN_CPU_CAPABILITY"] { cause = " because ATEN_CPU_CAPABILITY=\(forced) is set" }
            warnings.append(
                "libtorch runs its \(capability) CPU kernels\(cause) although this CPU supports \(best): element-wise and "
                    + "reduction kernels are slower than they can be; unset ATEN_CPU_CAPABILITY or use a libtorch built for "
                    + "this CPU (scripts/setup-libtorch.sh)")
        }
        let fastBLAS = ["mkl", "open", "openblas", "accelerate", "blis"]
        if !fastBLAS.contains(blas.lowercased()) {
            warnings.append(
                "libtorch's BLAS is \"\(blas)\", not MKL or OpenBLAS: matrix products may run at a fraction of this CPU's "
                    + "speed; use the pinned PyPI libtorch (scripts/setup-libtorch.sh), which carries MKL")
        }
        if let coretype = environment["OPENBLAS_CORETYPE"], blas.lowercased().hasPrefix("open") {
            warnings.append("OPENBLAS_CORETYPE=\(coretype) forces OpenBLAS's kernels for that CPU; unset it unless it is right for this one")
        }
        if threads > logicalProcessors {
            warnings.append(
                "libtorch uses \(threads) threads on \(logicalProcessors) logical CPUs: oversubscribed threads slow each other; "
                    + "pass --threads \(logicalProcessors) or fewer")
        }
        return warnings
    }

    /// A note when bfloat16 would be emulated: the CPU has neither AVX512-BF16 nor AMX.
    public var bfloat16Warning: String? {
        guard !cpuFlags.isEmpty, !cpuFlags.contains("avx512_bf16"), !cpuFlags.contains("amx_bf16") else { return nil }
        return "this CPU has no bfloat16 instructions (AVX512-BF16 or AMX): bfloat16 is emulated and likely slower than float32 here"
    }
}

/// /proc/cpuinfo's model name and flags of the first processor (empty where there is none).
struct CPUInfo {
    var model: String
    var flags: [String]

    static func read(path: String = "/proc/cpuinfo") -> CPUInfo {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return CPUInfo(model: "unknown", flags: []) }
        var model = "unknown"
        var flags: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if key == "model name", model == "unknown" { model = value }
            if key == "flags", flags.isEmpty { flags = value.split(separator: " ").map(String.init) }
            if model != "unknown", !flags.isEmpty { break }
        }
        return CPUInfo(model: model, flags: flags)
    }
}

extension LibTorch {
    /// `ctorch_runtime_info`: 0 build configuration, 1 CPU capability, 2 parallel info, 3 the
    /// loaded library's path ("" when unavailable).
    static func runtimeInfo(_ what: Int32) -> String {
        var text: UnsafePointer<CChar>?
        guard ctorch_runtime_info(what, &text) == 0, let text else { return "" }
        return String(cString: text)
    }

    /// Whether libtorch's CUDA kernels (libtorch_cuda) are loaded in this process: a CUDA build,
    /// whether or not a GPU is present.
    public static var hasCUDAKernels: Bool {
        guard let handle = dlopen("libtorch_cuda.so", RTLD_NOW | RTLD_NOLOAD) else { return false }
        dlclose(handle)
        return true
    }

    /// libtorch's build configuration (`torch.__config__.show()`).
    public static var buildConfiguration: String { runtimeInfo(0) }
    /// libtorch's threads and parallel back ends (`torch.__config__.parallel_info()`).
    public static var parallelInfo: String { runtimeInfo(2) }
}

extension String {
    /// The text after the first `marker`, up to `terminator` (or the end).
    fileprivate func firstMatch(after marker: String, until terminator: Character) -> String? {
        guard let range = range(of: marker) else { return nil }
        let rest = self[range.upperBound...]
        return String(rest.prefix { $0 != terminator && $0 != "\n" }).trimmingCharacters(in: .whitespaces)
    }
}
