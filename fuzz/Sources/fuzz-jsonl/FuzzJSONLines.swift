// libFuzzer target: the JSON Lines battle reader (and through it BattleJSON, the decoder the
// server shares).
import ArenaData
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

private func readBattles(_ bytes: [UInt8], options: LoadOptions) {
    do {
        let reader = try BattleReader(bytes: bytes, name: "data.jsonl", options: options)
        var ids = Set<String>()
        while let battle = try reader.next() {
            precondition(ids.insert(battle.id).inserted, "a duplicate id was let through")
            precondition(options.labels != .required || battle.winner != nil, "a training battle without a label")
        }
        _ = reader.report.warnings
    } catch {
        _ = error.description
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    readBattles(bytes, options: .training)
    readBattles(bytes, options: .prediction)
    return 0
}

@main struct Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzJSONLines(data, size) })
    }
}
