import Testing
@testable import Torch

/// The checks behind `arena doctor` on the facts of other machines, and on this one.
@Suite struct RuntimeReportTests {
    let xeonWithAMX: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "amx_tile", "amx_bf16"]

    @Test func aKernelFallbackIsReported() {
        // The first wave's case: a CPU with AVX-512 and AMX running libtorch's generic kernels.
        let fallback = RuntimeReport.warnings(
            cpuCapability: "DEFAULT", cpuFlags: xeonWithAMX, blas: "mkl", threads: 2, logicalProcessors: 2, environment: [:])
        #expect(fallback.count == 1)
        #expect(fallback.first?.contains("runs its DEFAULT CPU kernels although this CPU supports AVX512") == true)
        let forced = RuntimeReport.warnings(
            cpuCapability: "AVX2", cpuFlags: xeonWithAMX, blas: "mkl", threads: 2, logicalProcessors: 2,
            environment: ["ATEN_CPU_CAPABILITY": "avx2"])
        #expect(forced.first?.contains("because ATEN_CPU_CAPABILITY=avx2 is set") == true)
        // An AVX2-only CPU running AVX2 kernels is as good as it gets.
        #expect(
            RuntimeReport.warnings(
                cpuCapability: "AVX2", cpuFlags: ["avx2", "fma"], blas: "mkl", threads: 2, logicalProcessors: 2, environment: [:]
            ).isEmpty)
    }

    @Test func aSlowBLASAndOversubscriptionAreReported() {
        let warnings = RuntimeReport.warnings(
            cpuCapability: "AVX512", cpuFlags: xeonWithAMX, blas: "generic", threads: 8, logicalProcessors: 2,
            environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("BLAS is \"generic\", not MKL or OpenBLAS") })
        #expect(warnings.contains { $0.contains("uses 8 threads on 2 logical CPUs") })
        let openBLAS = RuntimeReport.warnings(
            cpuCapability: "AVX512", cpuFlags: xeonWithAMX, blas: "open", threads: 2, logicalProcessors: 2,
            environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(openBLAS == ["OPENBLAS_CORETYPE=Prescott forces OpenBLAS's kernels for that CPU; unset it unless it is right for this one"])
    }

    @Test func thisProcessRunsThePinnedLibtorchWithItsBestKernels() {
        let report = RuntimeReport.current()
        #expect(report.libtorchVersion == "2.15.0")
        #expect(report.libtorchPath.hasSuffix("libtorch_cpu.so"))
        #expect(report.blas == "mkl")
        #expect(["DEFAULT", "AVX2", "AVX512"].contains(report.cpuCapability))
        // The kernels libtorch chose are the best this CPU allows (no fallback here).
        #expect(report.warnings.filter { $0.contains("CPU kernels") }.isEmpty, "\(report.warnings)")
        var plain = report
        plain.cpuFlags = ["avx2", "fma"]
        #expect(plain.bfloat16Warning?.contains("no bfloat16 instructions") == true)
        plain.cpuFlags.append("amx_bf16")
        #expect(plain.bfloat16Warning == nil)
    }
}
