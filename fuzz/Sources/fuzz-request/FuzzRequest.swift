// libFuzzer target: the body of `arena serve`'s POST /predict (BattleRequest in ArenaData).
import ArenaData
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        let battles = try BattleRequest.battles(from: bytes, maxBattles: 8)
        precondition(!battles.isEmpty && battles.count <= 8, "battle count out of bounds")
        precondition(Set(battles.map(\.id)).count == battles.count, "duplicate ids let through")
        precondition(battles.allSatisfy { !$0.id.isEmpty && $0.winner == nil })
    } catch {
        precondition(!error.message.isEmpty)
    }
    return 0
}

@main struct Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzRequest(data, size) })
    }
}
