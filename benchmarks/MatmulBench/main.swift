// matmul-benchmark: the GFLOP/s of an n x n matrix product (torch.matmul) through the Torch
// module, i.e. the BLAS / oneDNN kernels of the libtorch arena links. benchmarks/matmul_speed.py
// is the same measurement in PyTorch; benchmarks/matmul_speed.sh runs both, interleaved.
//
//   matmul-benchmark [--size 2048] [--dtype float32|bfloat16] [--threads 0] [--repeats 20] [--warmup 3] [--json]
//
// --threads 0 leaves libtorch's default. Operands are standard normal (Generator(seed: 0)) made in
// the dtype; every product is timed on its own (the CPU computes synchronously); prints the median,
// GFLOP/s = 2 n^3 / median seconds, and the sum of the last product (the same on both sides for
// float32 up to rounding).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Torch

var size = 2048
var dtype = DType.float32
var threads = 0
var repeats = 20
var warmup = 3
var json = false
var arguments = Array(CommandLine.arguments.dropFirst())
func fail(_ message: String) -> Never {
    print("matmul-benchmark: \(message)\nusage: matmul-benchmark [--size 2048] [--dtype float32|bfloat16] [--threads 0] [--repeats 20] [--warmup 3] [--json]")
    exit(2)
}
while let argument = arguments.first {
    arguments.removeFirst()
    if argument == "--json" { json = true; continue }
    guard let value = arguments.first else { fail("\(argument) needs a value") }
    arguments.removeFirst()
    switch argument {
    case "--dtype":
        switch value {
        case "float32": dtype = .float32
        case "bfloat16": dtype = .bfloat16
        default: fail("--dtype is float32 or bfloat16, got \(value)")
        }
    case "--size", "--threads", "--repeats", "--warmup":
        guard let number = Int(value), number >= (argument == "--threads" || argument == "--warmup" ? 0 : 1) else {
            fail("\(argument) needs a count, got \(value)")
        }
        switch argument {
        case "--size": size = number
        case "--threads": threads = number
        case "--repeats": repeats = number
        default: warmup = number
        }
    default: fail("unknown option \(argument)")
    }
}

do {
    if threads > 0 { try LibTorch.setThreadCount(threads) }
    let generator = try Generator(seed: 0)
    let a = try Tensor.randn([size, size], generator: generator).to(dtype)
    let b = try Tensor.randn([size, size], generator: generator).to(dtype)
    var times: [Double] = []
    var last = try a.matmul(b)
    let clock = ContinuousClock()
    for index in 0..<(warmup + repeats) {
        let started = clock.now
        last = try a.matmul(b)
        let elapsed = clock.now - started
        if index >= warmup {
            let parts = elapsed.components
            times.append(Double(parts.seconds) + Double(parts.attoseconds) * 1e-18)
        }
    }
    let sorted = times.sorted()
    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    let gflops = 2 * Double(size) * Double(size) * Double(size) / median / 1e9
    let checksum = try last.to(.float32).sum().item()
    if json {
        print("{\"side\": \"swift\", \"libtorch\": \"\(LibTorch.version)\", \"size\": \(size), \"dtype\": \"\(dtype)\", "
            + "\"threads\": \(LibTorch.threadCount), \"median_s\": \(median), \"gflops\": \(gflops), \"checksum\": \(checksum)}")
    } else {
        print("swift (libtorch \(LibTorch.version)): \(size) x \(size) \(dtype), \(LibTorch.threadCount) thread(s): "
            + "median \(median) s, \(Int(gflops.rounded())) GFLOP/s")
    }
} catch {
    print("matmul-benchmark: \(error)")
    exit(1)
}
