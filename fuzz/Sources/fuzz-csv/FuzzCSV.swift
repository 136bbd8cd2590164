// libFuzzer target: the streaming CSV reader and the Kaggle CSV battle reader.
//
// Besides not crashing, hanging or blowing up memory, it checks two properties:
// - the records do not depend on the chunk size (quotes, doubled quotes and CRLF falling on a
//   chunk boundary), errors included;
// - records of valid UTF-8 written with CSVWriter read back as the same records.
import ArenaData
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

private func readRecords(_ bytes: [UInt8], chunkSize: Int) -> (records: [[String]], error: String?) {
    let reader = CSVReader(bytes: bytes, name: "fuzz.csv", chunkSize: chunkSize)
    var records: [[String]] = []
    var record = CSVRecord()
    do {
        while try reader.next(into: &record) {
            records.append(record.strings)
        }
    } catch {
        return (records, error.description)
    }
    return (records, nil)
}

private func readBattles(_ bytes: [UInt8], options: LoadOptions) {
    do {
        let reader = try BattleReader(bytes: bytes, name: "train.csv", options: options)
        while let battle = try reader.next() {
            precondition(!battle.id.isEmpty, "a battle without an id")
            precondition(battle.prompt.count + battle.responseA.count + battle.responseB.count >= 0)
        }
        _ = reader.report.warnings
    } catch {
        _ = error.description
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let small = readRecords(bytes, chunkSize: 16 + size % 23)
    let whole = readRecords(bytes, chunkSize: 1 << 20)
    precondition(small.records == whole.records && small.error == whole.error, "records depend on the chunk size")
    if whole.error == nil, String(validating: bytes, as: UTF8.self) != nil {
        var writer = CSVWriter()
        for record in whole.records { writer.write(record) }
        let written = Array(writer.take().utf8)
        // Text that starts like a zip archive or holds a NUL byte early is refused as binary,
        // rightly, when it no longer follows a byte-order mark or a long first record.
        if BinaryContent.detect(written.prefix(BinaryContent.inspectedLength)) == nil {
            let again = readRecords(written, chunkSize: 1 << 20)
            precondition(again.error == nil && again.records == whole.records, "CSVWriter output does not read back the same")
        }
    }
    readBattles(bytes, options: .training)
    readBattles(bytes, options: .prediction)
    return 0
}

@main struct Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSV(data, size) })
    }
}
