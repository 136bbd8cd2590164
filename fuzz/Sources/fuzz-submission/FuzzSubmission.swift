// libFuzzer target: the submission checker of `arena evaluate`.
import ArenaData
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSubmission(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var check = SubmissionFile.read(bytes: bytes, name: "submission.csv")
    precondition(check.ids.count == check.lines.count && check.ids.count == check.probabilities.count)
    precondition(check.probabilities.allSatisfy { $0.count == 3 }, "a row without three probabilities")
    // Compare with labels that share some ids and lack others.
    let labels = Array(check.ids.prefix(3)) + ["1", "2"]
    check.compareIDs(with: labels, labelsPath: "labels.csv")
    _ = check.messages(limit: 3)
    _ = check.probabilities(orderedBy: Array(check.ids.prefix(2)))
    precondition(check.isValid == check.violations.isEmpty)
    return 0
}

@main struct Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSubmission(data, size) })
    }
}
