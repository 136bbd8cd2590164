// One battle given as a JSON object, as JSON Lines records and the body of `arena serve`'s
// POST /predict hold it: {"id": ..., "prompt": ..., "response_a": ..., "response_b": ...,
// "winner": ..., "model_a": ..., "model_b": ...}. One decoder for both, so that the two accept
// the same battles and name the same field when they do not.
//
// The id rule: an id is a string or an integer. An integer id is its decimal text as written,
// so `7` and `"7"` are the same id. A number written with a fraction or an exponent (`7.0`,
// `7e0`) is an error, as is an empty or blank id.

/// A problem with one field of a battle given as a JSON object.
public struct BattleFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// The battle itself is not an object; `found` is the kind of value it is.
        case notAnObject(found: String)
        /// The field is absent; `expected` says what it should hold.
        case missing(expected: String)
        /// The field holds the wrong kind of value.
        case wrongType(found: String, expected: String)
        /// The field appears more than once in the object.
        case repeated
        /// The id is a number written with a fraction or an exponent.
        case notAnInteger(literal: String)
        /// The id is empty or only whitespace.
        case blankID
        /// The winner is a string other than "model_a", "model_b" or "tie".
        case unknownWinner(String)
    }

    /// The field, with the index of a turn where the problem is in one turn: "id",
    /// "response_a[1]"; empty when the problem is the whole battle.
    public var field: String
    /// The battle's id, when it was read before the problem was found.
    public var id: String?
    public var problem: Problem

    public init(field: String, id: String? = nil, problem: Problem) {
        self.field = field
        self.id = id
        self.problem = problem
    }

    static let expectedWinner = #"expected "model_a", "model_b" or "tie""#

    /// The problem as the predicate of a sentence whose subject is the field:
    /// "is a number; expected a string or a list of turns".
    public var predicate: String {
        switch problem {
        case let .notAnObject(found):
            return "is \(found); expected an object with id, prompt, response_a and response_b"
        case let .missing(expected):
            return "is missing; \(expected)"
        case let .wrongType(found, expected):
            return "is \(found); expected \(expected)"
        case .repeated:
            return "appears more than once in the object; expected each field once (which one holds the data?)"
        case let .notAnInteger(literal):
            return "is \(literal), a number that is not an integer; expected a string or an integer (an integer id is its decimal text: 7 and \"7\" are the same id)"
        case .blankID:
            return "is empty or only whitespace; every battle needs an id"
        case let .unknownWinner(name):
            var shown = ""
            JSONWriter.appendString(name, to: &shown)
            return "is \(shown); \(Self.expectedWinner)"
        }
    }

    /// As the JSON Lines reader reports it: `id 7, field "prompt" is a number; expected ...`.
    public var description: String {
        let subject = field.isEmpty ? "the record" : "field \"\(field)\""
        let prefix = id.map { "id \(shownID($0)), " } ?? ""
        return prefix + subject + " " + predicate
    }
}

/// Decodes battles from parsed JSON objects; see the top of this file for the rules.
public enum BattleJSON {
    /// What to do with the "winner" field.
    public enum WinnerField: Sendable, Equatable {
        /// Must be present (training data).
        case required
        /// Read when present and not null.
        case optional
        /// Not read at all (a prediction request).
        case ignored
    }

    static let textExpectation = "a string or a list of turns (strings or null)"

    /// The id rule: a string, or an integer given as its decimal text.
    public static func id(_ value: JSONValue) throws(BattleFieldError) -> String {
        let id: String
        switch value {
        case let .string(text):
            id = text
        case let .number(_, literal):
            guard isIntegerLiteral(literal) else {
                throw BattleFieldError(field: "id", problem: .notAnInteger(literal: literal))
            }
            id = literal
        default:
            throw BattleFieldError(field: "id", problem: .wrongType(found: value.kindName, expected: "a string or an integer"))
        }
        if isBlankText(id) { throw BattleFieldError(field: "id", problem: .blankID) }
        return id
    }

    /// Whether a JSON number literal is an integer: optional minus, digits, no fraction or exponent.
    static func isIntegerLiteral(_ literal: String) -> Bool {
        var digits = Substring(literal)
        if digits.first == "-" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The battle held by `value`.
    /// - Parameters:
    ///   - defaultID: the id of a battle without an "id" field (null counts as absent); nil
    ///     makes the field required.
    ///   - winner: how the "winner" field is read.
    /// - Returns: the battle; its `notes.nullTurns` counts the null turns. `notes.repairedCharacters`
    ///   is left at 0 (the parser counts repairs for the whole text it parsed).
    public static func battle(from value: JSONValue, defaultID: String? = nil, winner winnerField: WinnerField)
        throws(BattleFieldError) -> Battle
    {
        guard case let .object(members) = value else {
            throw BattleFieldError(field: "", problem: .notAnObject(found: value.kindName))
        }
        // The fields read, each at most once.
        var fields: [String: JSONValue] = [:]
        var readNames = ["id", "model_a", "model_b"] + KaggleColumn.texts
        if winnerField != .ignored { readNames.append("winner") }
        for (key, member) in members where readNames.contains(key) {
            if fields.updateValue(member, forKey: key) != nil {
                var id: String?
                if key != "id", let raw = fields["id"] { id = try? self.id(raw) }
                throw BattleFieldError(field: key, id: id, problem: .repeated)
            }
        }
        let id: String
        switch fields["id"] {
        case nil, .null?:
            guard let defaultID else {
                throw BattleFieldError(field: "id", problem: .missing(expected: "every record needs an id (a string or an integer)"))
            }
            id = defaultID
        case let raw?:
            id = try self.id(raw)
        }
        var notes = DecodeNotes()
        var texts: [[String]] = []
        for (position, name) in KaggleColumn.texts.enumerated() {
            switch fields[name] {
            case let .string(text)?:
                texts.append([text])
            case let .array(elements)?:
                var turns: [String] = []
                turns.reserveCapacity(elements.count)
                for (turn, element) in elements.enumerated() {
                    switch element {
                    case let .string(text): turns.append(text)
                    case .null:
                        turns.append("")
                        notes.nullTurns[position] += 1
                    default:
                        throw BattleFieldError(
                            field: "\(name)[\(turn)]", id: id,
                            problem: .wrongType(found: element.kindName, expected: "a string or null"))
                    }
                }
                texts.append(turns)
            case nil:
                throw BattleFieldError(field: name, id: id, problem: .missing(expected: "expected \(textExpectation)"))
            case let other?:
                throw BattleFieldError(field: name, id: id, problem: .wrongType(found: other.kindName, expected: textExpectation))
            }
        }
        var winner: Winner?
        if winnerField != .ignored {
            switch fields["winner"] {
            case let .string(name)?:
                guard let parsed = Winner(name: name) else {
                    throw BattleFieldError(field: "winner", id: id, problem: .unknownWinner(name))
                }
                winner = parsed
            case nil, .null?:
                if winnerField == .required {
                    throw BattleFieldError(
                        field: "winner", id: id,
                        problem: .missing(expected: #"training data needs "model_a", "model_b" or "tie""#))
                }
            case let other?:
                throw BattleFieldError(
                    field: "winner", id: id, problem: .wrongType(found: other.kindName, expected: #""model_a", "model_b" or "tie""#))
            }
        }
        func optionalName(_ key: String) -> String? {
            if case let .string(text)? = fields[key], !text.isEmpty { return text }
            return nil
        }
        return Battle(
            id: id, modelA: optionalName("model_a"), modelB: optionalName("model_b"), prompt: texts[0],
            responseA: texts[1], responseB: texts[2], winner: winner, notes: notes)
    }
}

/// Why the body of a prediction request was refused.
public struct BattleRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Status: Sendable, Equatable {
        /// HTTP 400: the body is malformed.
        case badRequest
        /// HTTP 413: more battles than the server takes in one request.
        case tooLarge
    }

    public var status: Status
    public var message: String
    public var description: String { message }

    public init(status: Status, message: String) {
        self.status = status
        self.message = message
    }
}

/// The body of `arena serve`'s POST /predict: `{"battles": [battle, ...]}`, each battle an
/// object read by `BattleJSON` (the "winner" field is not read; an absent id is the battle's
/// position in the list).
public enum BattleRequest {
    /// The battles of a request body, in order.
    /// - Throws: `BattleRequestError` naming the battle (`battles[2]`) and the field.
    public static func battles(from body: [UInt8], maxBattles: Int) throws(BattleRequestError) -> [Battle] {
        let result: Result<JSONValue, JSONParseError> = body.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) { return .success(try JSONParser.parse(buffer).0) } catch { return .failure(error) }
        }
        let value: JSONValue
        switch result {
        case let .success(parsed): value = parsed
        case let .failure(error):
            throw BattleRequestError(status: .badRequest, message: "the body is not JSON (\(error.description)); expected {\"battles\": [...]}")
        }
        guard case let .object(members) = value else {
            throw BattleRequestError(status: .badRequest, message: "the body is \(value.kindName); expected a JSON object with a \"battles\" list")
        }
        let lists = members.filter { $0.0 == "battles" }
        guard let list = lists.first?.1 else {
            throw BattleRequestError(status: .badRequest, message: "expected a JSON object with a \"battles\" list")
        }
        guard lists.count == 1 else {
            throw BattleRequestError(status: .badRequest, message: "\"battles\" appears more than once in the body; expected it once")
        }
        guard case let .array(items) = list else {
            throw BattleRequestError(status: .badRequest, message: "\"battles\" is \(list.kindName); expected a list of battles")
        }
        guard !items.isEmpty else {
            throw BattleRequestError(status: .badRequest, message: "\"battles\" is empty; send at least one battle")
        }
        guard items.count <= maxBattles else {
            throw BattleRequestError(
                status: .tooLarge, message: "\(items.count) battles in one request; at most \(maxBattles) (split the request)")
        }
        var battles: [Battle] = []
        battles.reserveCapacity(items.count)
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let battle: Battle
            do {
                battle = try BattleJSON.battle(from: item, defaultID: String(index), winner: .ignored)
            } catch {
                let subject = "battles[\(index)]" + (error.field.isEmpty ? "" : ".\(error.field)")
                // The id is worth naming only when the battle gave one.
                var named = ""
                if let id = error.id, !error.field.isEmpty, item["id"] != nil, item["id"] != .null { named = " (battle id \(shownID(id)))" }
                throw BattleRequestError(status: .badRequest, message: "\(subject) \(error.predicate)\(named)")
            }
            if let first = seen[battle.id] {
                var implicit = false
                if case .object = item { implicit = item["id"] == nil || item["id"] == .null }
                throw BattleRequestError(
                    status: .badRequest,
                    message: "battles[\(index)].id \(shownQuoted(battle.id)) appears twice (also battles[\(first)])"
                        + (implicit ? ", as battles[\(index)] has no id and a battle without one is given its position" : "")
                        + "; expected each id once")
            }
            seen[battle.id] = index
            battles.append(battle)
        }
        return battles
    }

    /// An id in double quotes, JSON-escaped.
    private static func shownQuoted(_ id: String) -> String {
        var text = ""
        JSONWriter.appendString(id, to: &text)
        return text
    }
}
