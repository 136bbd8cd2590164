extension String {
    /// "formatVersion" -> "format_version": a Swift property name as arena's JSON files spell the
    /// field (they are written with snake-case keys), for messages that name a field.
    public var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
