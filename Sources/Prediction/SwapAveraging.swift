import ArenaData

/// Test-time A/B swap: a model scores each battle as given and with A and B exchanged; the
/// swapped prediction is mapped back (its P(A) is the original's P(B)) and the two averaged.
/// The result is exactly swap-consistent whatever the model: for every battle x,
/// P_A(x) = P_B(swap x) and P_tie(x) = P_tie(swap x).
public enum SwapAveraging {
    /// A row of P(A), P(B), P(tie) for the swapped battle, expressed for the original one.
    @inlinable
    public static func swapBack(_ row: WinnerProbabilities) -> WinnerProbabilities { row.swapped }

    /// Averages `direct[i]` with the swapped-back `swapped[i]`.
    public static func combine(direct: [WinnerProbabilities], swapped: [WinnerProbabilities]) -> [WinnerProbabilities] {
        zip(direct, swapped).map { forward, backward in forward.combined(with: backward.swapped) { ($0 + $1) / 2 } }
    }
}
