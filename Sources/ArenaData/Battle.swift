/// Who won a battle. The raw values are the class indices used everywhere (A=0, B=1, tie=2),
/// in the column order of a Kaggle submission.
public enum Winner: Int, CaseIterable, Sendable, Codable, Hashable {
    case modelA = 0
    case modelB = 1
    case tie = 2

    /// The Kaggle column that holds this class's flag or probability.
    public var kaggleColumn: String {
        switch self {
        case .modelA: return "winner_model_a"
        case .modelB: return "winner_model_b"
        case .tie: return "winner_tie"
        }
    }

    /// The JSON Lines spelling: "model_a", "model_b", "tie".
    public var name: String {
        switch self {
        case .modelA: return "model_a"
        case .modelB: return "model_b"
        case .tie: return "tie"
        }
    }

    /// Parses the JSON Lines spelling.
    public init?(name: String) {
        switch name {
        case "model_a": self = .modelA
        case "model_b": self = .modelB
        case "tie": self = .tie
        default: return nil
        }
    }

    /// The label of the A/B-swapped battle: A and B exchange, a tie stays a tie.
    public var swapped: Winner {
        switch self {
        case .modelA: return .modelB
        case .modelB: return .modelA
        case .tie: return .tie
        }
    }

    /// The A/B swap on class indices: entry k is the index of class k once A and B are
    /// exchanged. The one definition of the swap for labels (``swappedIndex(_:)``) and for
    /// probabilities (``WinnerProbabilities/swapped``); it equals ``swapped`` on every case.
    public static let swapPermutation: [Int] = [1, 0, 2]

    /// The class index of label `index` after the A/B swap.
    @inlinable
    public static func swappedIndex(_ index: Int) -> Int { swapPermutation[index] }
}

/// One Chatbot Arena battle: a conversation of one or more user turns, the answers of two
/// anonymous models (one per turn), and for training data the human's vote.
public struct Battle: Sendable, Hashable {
    /// The row id, kept as written (Kaggle ids are integers, JSON Lines ids may be strings).
    public var id: String
    public var modelA: String?
    public var modelB: String?
    public var prompt: [String]
    public var responseA: [String]
    public var responseB: [String]
    public var winner: Winner?
    /// Diagnostics of the decoding of this row's text cells.
    public var notes = DecodeNotes()

    public init(
        id: String, modelA: String? = nil, modelB: String? = nil, prompt: [String], responseA: [String],
        responseB: [String], winner: Winner? = nil, notes: DecodeNotes = DecodeNotes()
    ) {
        self.id = id
        self.modelA = modelA
        self.modelB = modelB
        self.prompt = prompt
        self.responseA = responseA
        self.responseB = responseB
        self.winner = winner
        self.notes = notes
    }

    /// The battle with A and B exchanged: responses, model names and label.
    public var swapped: Battle {
        Battle(
            id: id, modelA: modelB, modelB: modelA, prompt: prompt, responseA: responseB, responseB: responseA,
            winner: winner?.swapped, notes: notes)
    }

    /// The number of conversation turns (the longest of the three lists).
    public var turnCount: Int { max(prompt.count, responseA.count, responseB.count) }
}

/// What decoding a row's text cells found; none of it is an error.
public struct DecodeNotes: Sendable, Hashable {
    /// `null` turns, read as empty strings, per column (prompt, response_a, response_b).
    public var nullTurns: [Int] = [0, 0, 0]
    /// Characters replaced by U+FFFD (lone surrogates, invalid UTF-8).
    public var repairedCharacters = 0
    /// Columns whose cell was not a JSON list of turns and was kept as one raw turn
    /// (prediction input only, where no row may be dropped).
    public var rawColumns: [String] = []

    public init() {}
}

/// The columns of the Kaggle files.
public enum KaggleColumn {
    public static let id = "id"
    public static let modelA = "model_a"
    public static let modelB = "model_b"
    public static let prompt = "prompt"
    public static let responseA = "response_a"
    public static let responseB = "response_b"
    /// The three text columns, in the order `DecodeNotes.nullTurns` counts them.
    public static let texts = [prompt, responseA, responseB]
    public static let winners = Winner.allCases.map(\.kaggleColumn)
}
