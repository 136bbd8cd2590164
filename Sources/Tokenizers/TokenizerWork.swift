/// A count of the work tokenizers do, for tests that bound it (a bound on steps, not on wall
/// time, holds on a loaded machine and in a debug build).
///
/// One unit is one step of an inner loop: a byte or scalar looked at by a pass over the text
/// (added-token splitting, normalising, splitting into words, looking for a place to cut), a
/// scalar written by the normaliser, or one vocabulary lookup. Tokenizer calls add their
/// work to the meter bound with ``measure(_:)`` in the current task, if any; without one they
/// count into a local variable that is thrown away.
package final class TokenizerWork: @unchecked Sendable {
    // @unchecked: a meter is bound to one task and only touched by the calls made inside it.
    package private(set) var steps = 0
    /// Bytes of text handed to a tokenizer's pipeline (after any cut), summed over calls.
    package private(set) var bytesTokenized = 0

    @TaskLocal static var current: TokenizerWork?

    package init() {}

    /// Runs `body` with this meter counting every tokenizer call it makes.
    package func measure<T>(_ body: () throws -> T) rethrows -> T {
        try Self.$current.withValue(self) { try body() }
    }

    func add(steps: Int, bytes: Int = 0) {
        self.steps += steps
        bytesTokenized += bytes
    }
}
