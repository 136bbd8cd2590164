import Foundation
import Testing

/// `arena doctor`: what the binary computes with, and a real kernel fallback reported.
@Suite struct DoctorCLITests {
    @Test func reportsThePinnedLibtorchAndAForcedFallback() throws {
        let result = try CLI.run(["doctor", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(report["libtorch_version"] as? String == "2.15.0")
        #expect((report["libtorch_path"] as? String)?.hasSuffix(".libtorch/torch/lib/libtorch_cpu.so") == true)
        #expect(report["blas"] as? String == "mkl")
        #expect((report["warnings"] as? [String])?.isEmpty == true, "\(result.standardOutput)")
        let flags = try #require(report["cpu_flags"] as? [String])
        // The default build is the CPU one: asking for a GPU says how to get the CUDA build.
        #expect(report["cuda_kernels"] as? Bool == false)
        let cuda = try CLI.run(["embed", "--model", "unused", "--data", "unused.csv", "--out", "x.safetensors", "--device", "cuda"])
        #expect(cuda.status == 64)
        #expect(cuda.standardError.contains("this build links the CPU libtorch; build with scripts/setup-libtorch.sh --cuda"), "\(cuda.standardError)")

        // libtorch's own switch to its generic kernels: a real fallback, reported.
        let forced = try CLI.run(["doctor"], environment: ["ATEN_CPU_CAPABILITY": "default"])
        #expect(forced.status == 0)
        #expect(forced.standardOutput.contains("CPU kernels     DEFAULT"), "\(forced.standardOutput)")
        if flags.contains("avx2") {
            #expect(forced.standardOutput.contains("warning: libtorch runs its DEFAULT CPU kernels because ATEN_CPU_CAPABILITY=default is set"))
        }
    }
}
