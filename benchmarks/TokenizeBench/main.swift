// tokenize-benchmark: the Tokenizers module on long texts (issue 11). Loads a Hugging Face model
// folder's tokenizer (`TokenizerLoader.load(folder:)`, all-MiniLM-L6-v2 by default), builds one
// text per size from a real file's bytes (the sample train.csv, repeated as needed and cut at a
// UTF-8 scalar boundary), and times on each
//   whole      tokenize(text): every id of the text, no special tokens;
//   truncated  encode(text, maxLength: 256): [CLS] + the first 254 ids + [SEP], the capped path
//              that reads only as much of the text as those ids need.
// benchmarks/tokenize_speed.py does the same with Hugging Face's BertTokenizerFast (the anchor),
// on the same texts; benchmarks/tokenize_speed.sh runs both, interleaved, and prints the ratios.
// (The battle encoder, Training's BattleEncoder, is timed end to end through `arena serve` by
// benchmarks/serve_long_request.sh: it needs the Training module, which this target avoids.)
//
//   tokenize-benchmark [--model .models/all-MiniLM-L6-v2] [--data ../shared/data/arena-sample/train.csv]
//                      [--sizes 1000000,50000000] [--repeats 3] [--long-repeats 1] [--max-length 256]
//   tokenize-benchmark --model DIR --texts FILE [--repeats 3]
//
// --texts FILE (written by benchmarks/decoder_tokenize_speed.py --write FILE: {"texts": [...],
// "ids": [[...]]}, Hugging Face's ids) times tokenize(text) on every text instead, one at a time:
// a first pass (cold cache, untimed for the median) checks every text's ids against the file,
// then --repeats timed passes; one JSON line with call "per_text", texts, tokens, mismatches,
// first_pass_s, median_s and tokens_per_s.
//
// Prints one JSON line per size and call: side, call, size_bytes (the text's UTF-8 bytes),
// repeats, median_s, runs_s (every timed call), ids (the number of ids) and id_sum (their sum, a
// cheap check that both sides produced the same ids). Sizes over 10 MB are timed --long-repeats
// times, the others --repeats times; one small untimed call comes first.
import Foundation
import Tokenizers

struct Options {
    var model = ".models/all-MiniLM-L6-v2"
    var data = "../shared/data/arena-sample/train.csv"
    var sizes = [1_000_000, 50_000_000]
    var repeats = 3
    var longRepeats = 1
    var maxLength = 256
    var texts: String?

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value(_ name: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(name) needs a value") }
            return arguments[index]
        }
        func integer(_ name: String) -> Int {
            let text = value(name)
            guard let number = Int(text), number > 0 else { fail("\(name): expected a positive integer, got \(text)") }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--model": options.model = value("--model")
            case "--data": options.data = value("--data")
            case "--sizes":
                let text = value("--sizes")
                let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { fail("--sizes: expected positive byte counts, got \(text)") }
                options.sizes = sizes.map { $0! }
            case "--repeats": options.repeats = integer("--repeats")
            case "--long-repeats": options.longRepeats = integer("--long-repeats")
            case "--max-length": options.maxLength = integer("--max-length")
            case "--texts": options.texts = value("--texts")
            case "-h", "--help":
                print("tokenize-benchmark [--model DIR] [--data FILE] [--sizes B,B] [--repeats N] [--long-repeats N] [--max-length N] [--texts FILE]")
                exit(0)
            default: fail("unknown argument \(arguments[index])")
            }
            index += 1
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tokenize-benchmark: \(message)\n".utf8))
    exit(2)
}

/// `source` repeated until it holds `size` bytes, cut there, then back to the start of the
/// scalar the cut fell in (so the text is valid UTF-8 when the source is). Same rule as
/// tokenize_speed.py's `make_text`.
func makeText(_ source: [UInt8], size: Int) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size + source.count)
    while bytes.count < size { bytes += source }
    var cut = size
    while cut > 0, cut < bytes.count, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
    return String(decoding: bytes[..<cut], as: UTF8.self)
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let tokenizer: any Tokenizer
do { tokenizer = try TokenizerLoader.load(folder: options.model) } catch { fail("cannot load the tokenizer of \(options.model): \(error)") }
let clock = ContinuousClock()

/// Every text of `file` one at a time, checked against the ids in the file, then timed.
func timePerText(_ file: String) throws {
    guard let data = FileManager.default.contents(atPath: file),
          let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let texts = root["texts"] as? [String], let reference = root["ids"] as? [[Int]], reference.count == texts.count else {
        fail("\(file): expected {\"texts\": [...], \"ids\": [[...]]} of equal lengths")
    }
    var mismatches = 0
    var tokens = 0
    let first = clock.now
    for (text, expected) in zip(texts, reference) {
        let ids = try tokenizer.tokenize(text)
        tokens += ids.count
        if ids != expected { mismatches += 1 }
    }
    let firstPass = seconds(clock.now - first)
    var runs: [Double] = []
    for _ in 0..<options.repeats {
        let start = clock.now
        for text in texts { _ = try tokenizer.tokenize(text) }
        runs.append(seconds(clock.now - start))
    }
    let row: [String: Any] = [
        "side": "swift", "call": "per_text", "texts": texts.count, "bytes": texts.reduce(0) { $0 + $1.utf8.count },
        "tokens": tokens, "mismatches": mismatches, "first_pass_s": firstPass, "median_s": median(runs), "runs_s": runs,
        "tokens_per_s": Int(Double(tokens) / median(runs)),
    ]
    let json = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
    FileHandle.standardOutput.write(json + Data("\n".utf8))
}

if let texts = options.texts {
    try timePerText(texts)
    exit(0)
}

guard let source = FileManager.default.contents(atPath: options.data), !source.isEmpty else { fail("cannot read \(options.data)") }
let sourceBytes = [UInt8](source)

// Untimed warm-up: the first call pays for whatever is built lazily.
_ = try tokenizer.tokenize(makeText(sourceBytes, size: 10_000))

for size in options.sizes {
    let text = makeText(sourceBytes, size: size)
    let repeats = size > 10_000_000 ? options.longRepeats : options.repeats
    let calls: [(String, () throws -> [Int])] = [
        ("whole", { try tokenizer.tokenize(text) }),
        ("truncated", { try tokenizer.encode(text, maxLength: options.maxLength).ids }),
    ]
    for (call, body) in calls {
        var runs: [Double] = []
        var ids: [Int] = []
        for _ in 0..<repeats {
            ids = []
            let start = clock.now
            ids = try body()
            runs.append(seconds(clock.now - start))
        }
        let row: [String: Any] = [
            "side": "swift", "call": call, "size_bytes": text.utf8.count, "repeats": repeats,
            "median_s": median(runs), "runs_s": runs, "ids": ids.count, "id_sum": ids.reduce(0, +),
        ]
        let json = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        FileHandle.standardOutput.write(json + Data("\n".utf8))
    }
}
