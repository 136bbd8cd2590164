import Dispatch

/// Runs `body` over consecutive chunks of `0..<count` on all cores and returns the chunk results
/// in order. Each chunk is at most `chunkSize` long, so that per-chunk scratch space is reused
/// across many items while the cores stay busy.
func concurrentChunks<ChunkResult: Sendable>(
    count: Int, chunkSize: Int, _ body: @Sendable (Range<Int>) -> ChunkResult
) -> [ChunkResult] {
    guard count > 0 else { return [] }
    let size = max(1, chunkSize)
    let chunkCount = (count + size - 1) / size
    let slots = ChunkSlots<ChunkResult>(count: chunkCount)
    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
        let start = chunk * size
        slots.store(body(start..<min(start + size, count)), at: chunk)
    }
    return slots.results
}

/// One result slot per chunk. Safe to share because each slot is written by exactly one
/// iteration of `concurrentPerform`, and all are read only after it returns.
private final class ChunkSlots<Element: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Element?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ value: Element, at index: Int) { slots[index] = value }

    var results: [Element] { slots.compactMap { $0 } }
}
