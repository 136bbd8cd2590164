import Foundation

/// A JSON tree for the parts of a run's config.json that belong to one model family (the
/// feature model's or the fine-tuning settings): the run format stores them without knowing
/// their types, and the family's module decodes them (``decode(_:)``) into its own. (Not
/// ArenaData's `JSONValue`, the order-keeping tree its data parser reads.)
///
/// Integers keep every digit (seeds are 64-bit); keys are kept as the run-file decoder gives
/// them, so a typed value stored here and written in a run config gives exactly the file that
/// encoding the typed value in its place would, and reads back equal.
public enum SettingsJSON: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([SettingsJSON])
    case object([String: SettingsJSON])

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `value` as a tree: encoded and read back exactly as a run file is (snake-case keys in the
    /// file, converted back on reading), so the tree equals the one read from config.json.
    public init<Value: Encodable>(encoding value: Value) throws {
        self = try SettingsJSON.fileDecoder.decode(SettingsJSON.self, from: SettingsJSON.fileEncoder.encode(value))
    }

    /// The tree as a `Value`, decoded as a run file is.
    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try SettingsJSON.fileDecoder.decode(Value.self, from: SettingsJSON.fileEncoder.encode(self))
    }

    /// The key strategies of run files (RunFolder.writeJSON / readJSON).
    static var fileEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    static var fileDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    public init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: Key.self) {
            var object: [String: SettingsJSON] = [:]
            for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(SettingsJSON.self, forKey: key) }
            self = .object(object)
        } else if var unkeyed = try? decoder.unkeyedContainer() {
            var array: [SettingsJSON] = []
            while !unkeyed.isAtEnd { array.append(try unkeyed.decode(SettingsJSON.self)) }
            self = .array(array)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .null
            } else if let value = try? single.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? single.decode(Int64.self) {
                self = .integer(value)
            } else if let value = try? single.decode(UInt64.self) {
                self = .unsigned(value)
            } else if let value = try? single.decode(Double.self) {
                self = .number(value)
            } else {
                self = .string(try single.decode(String.self))
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .integer(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .unsigned(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .number(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .string(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .array(let values):
            var unkeyed = encoder.unkeyedContainer()
            for value in values { try unkeyed.encode(value) }
        case .object(let object):
            var keyed = encoder.container(keyedBy: Key.self)
            for (key, value) in object { try keyed.encode(value, forKey: Key(stringValue: key)) }
        }
    }
}
