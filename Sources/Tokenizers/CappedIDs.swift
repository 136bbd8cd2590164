/// Which end of a text's ids a capped tokenisation keeps.
enum KeptEnd {
    case leading
    case trailing
}

/// The first (or last) `limit` ids of the UTF-8 text `bytes`, equal to those of
/// `tokenize(bytes)`, from a prefix (or suffix) of the text where one holds enough of them.
///
/// The text is cut at a byte offset where `splitsBefore` holds (a place where the tokenizer
/// splits whatever the neighbours are, so that the ids of the text are the ids of the part
/// before the cut followed by those of the part after it) and that is not inside an occurrence
/// of an added token (so the added-token split of each part is the split of the text). The cut
/// starts near `8 * limit` bytes from the kept end (a token is a few bytes of text) and the
/// window doubles until the part holds at least `limit` ids; without a cut, the whole text is
/// tokenised. The cost is linear in the size of the last window: each window is scanned for its
/// cut once and tokenised once, and windows double.
func cappedIDs(of bytes: UnsafeBufferPointer<UInt8>, limit: Int, end: KeptEnd, addedTokens: [[UInt8]],
               splitsBefore: (UnsafeBufferPointer<UInt8>, Int) -> Bool,
               tokenize: (UnsafeBufferPointer<UInt8>) throws -> [Int]) rethrows -> [Int] {
    func kept(_ ids: [Int]) -> [Int] {
        end == .leading ? Array(ids.prefix(limit)) : Array(ids.suffix(limit))
    }
    guard limit > 0 else { return [] }
    guard limit <= bytes.count / 8 else { return kept(try tokenize(bytes)) }
    var steps = 0
    defer { TokenizerWork.current?.add(steps: steps) }
    let tokens = addedTokens.filter { $0.count > 1 }

    func isCut(_ offset: Int) -> Bool {
        guard startsScalar(bytes[offset]), splitsBefore(bytes, offset) else { return false }
        for token in tokens {
            steps += token.count
            for start in Swift.max(0, offset - token.count + 1)..<offset where matches(token, bytes, at: start) { return false }
        }
        return true
    }
    /// The first cut at or after `offset` (never at 0 or the end), nil when there is none.
    func firstCut(from offset: Int) -> Int? {
        var cut = Swift.max(offset, 1)
        while cut < bytes.count {
            steps += 1
            if isCut(cut) { return cut }
            cut += 1
        }
        return nil
    }

    var window = limit * 8
    while window < bytes.count {
        switch end {
        case .leading:
            guard let cut = firstCut(from: window) else { return kept(try tokenize(bytes)) }
            let ids = try tokenize(UnsafeBufferPointer(rebasing: bytes[..<cut]))
            if ids.count >= limit { return kept(ids) }
            window = 2 * cut
        case .trailing:
            if let cut = firstCut(from: bytes.count - window) {
                let ids = try tokenize(UnsafeBufferPointer(rebasing: bytes[cut...]))
                if ids.count >= limit { return kept(ids) }
            }
            window *= 2
        }
    }
    return kept(try tokenize(bytes))
}
