// libFuzzer target: the JSON turn decoder of a Kaggle text cell and the JSON parser.
//
// Properties checked: what parses writes back (JSONWriter) and parses again to the same value;
// parseTurns accepts exactly the texts that parse as an array of strings and nulls.
import ArenaData
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

private func turnsOf(_ value: JSONValue) -> [String]? {
    guard case let .array(elements) = value else { return nil }
    var turns: [String] = []
    for element in elements {
        switch element {
        case let .string(text): turns.append(text)
        case .null: turns.append("")
        default: return nil
        }
    }
    return turns
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTurns(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let buffer = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let turns = try? JSONParser.parseTurns(buffer)
    let value = try? JSONParser.parse(buffer)
    if let (value, _) = value {
        let text = JSONWriter.string(value)
        guard let (again, _) = try? JSONParser.parse(text) else { preconditionFailure("written JSON does not parse: \(text)") }
        precondition(again == value, "JSON does not round-trip: \(text)")
    }
    // parseTurns and the general parser agree (the general one has a nesting limit, which a
    // list of turns never reaches).
    let general = value.flatMap { turnsOf($0.0) }
    precondition((turns == nil) == (general == nil), "parseTurns and parse disagree")
    if let turns {
        precondition(turns.turns == general, "parseTurns and parse give different turns")
        let written = JSONWriter.turns(turns.turns)
        guard let again = try? JSONParser.parse(written), turnsOf(again.0) == turns.turns else {
            preconditionFailure("turns do not round-trip: \(written)")
        }
    }
    return 0
}

@main struct Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTurns(data, size) })
    }
}
