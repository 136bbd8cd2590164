import Foundation

/// The scalar at `offset` of valid UTF-8 (the bytes of a Swift `String`) and its length in
/// bytes. A truncated or malformed sequence (not possible in a `String`) reads as U+FFFD.
@inline(__always)
func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (Unicode.Scalar, Int) {
    let lead = bytes[offset]
    if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
    let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    guard offset + length <= bytes.count else { return ("\u{FFFD}", 1) }
    var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
    for index in 1..<length { value = value << 6 | (UInt32(bytes[offset + index]) & 0x3F) }
    return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
}

/// Whether `byte` starts a scalar (is not a UTF-8 continuation byte).
@inline(__always)
func startsScalar(_ byte: UInt8) -> Bool { byte & 0xC0 != 0x80 }

@inline(__always)
func appendUTF8(_ scalar: Unicode.Scalar, to output: inout [UInt8]) {
    let value = scalar.value
    if value < 0x80 {
        output.append(UInt8(value))
    } else if value < 0x800 {
        output.append(UInt8(0xC0 | value >> 6))
        output.append(UInt8(0x80 | value & 0x3F))
    } else if value < 0x1_0000 {
        output.append(UInt8(0xE0 | value >> 12))
        output.append(UInt8(0x80 | value >> 6 & 0x3F))
        output.append(UInt8(0x80 | value & 0x3F))
    } else {
        output.append(UInt8(0xF0 | value >> 18))
        output.append(UInt8(0x80 | value >> 12 & 0x3F))
        output.append(UInt8(0x80 | value >> 6 & 0x3F))
        output.append(UInt8(0x80 | value & 0x3F))
    }
}

/// The tail of ``BertNormalizer``: canonical decomposition (NFD) with its canonical ordering,
/// removal of non-spacing marks, lower-casing, UTF-8 out; scalars are pushed one at a time.
///
/// NFD is each scalar's full canonical decomposition (Foundation's, asked once per distinct
/// non-ASCII scalar) followed by a stable sort of every run of non-starters by canonical
/// combining class (Unicode 15, section 3.11), which is what Foundation's
/// `decomposedStringWithCanonicalMapping` computes for the whole text, here in linear time.
struct NormalizedStream {
    let lowercase: Bool
    let stripAccents: Bool
    private(set) var output: [UInt8] = []
    /// Scalars written, plus the bytes moved each time `output` outgrows its storage (so a
    /// buffer that copied itself on every append would show as quadratic work).
    private(set) var steps = 0
    private var capacity = 0
    private var decompositions: [UInt32: [Unicode.Scalar]] = [:]
    /// Non-starters waiting for the next starter, with their combining class.
    private var pending: [(scalar: Unicode.Scalar, combiningClass: UInt8)] = []

    init(lowercase: Bool, stripAccents: Bool, capacity: Int) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        output.reserveCapacity(capacity + capacity / 8 + 16)
        self.capacity = output.capacity
    }

    @inline(__always)
    private mutating func countGrowth() {
        if output.capacity != capacity {
            steps += output.count
            capacity = output.capacity
        }
    }

    mutating func append(_ scalar: Unicode.Scalar) {
        guard stripAccents, !scalar.isASCII else {
            if !pending.isEmpty { flushPending() }
            emit(scalar)
            return
        }
        for part in decomposition(of: scalar) {
            let combiningClass = part.properties.canonicalCombiningClass.rawValue
            if combiningClass == 0 {
                if !pending.isEmpty { flushPending() }
                emit(part)
            } else {
                pending.append((part, combiningClass))
            }
        }
    }

    /// An ASCII byte already cleaned and lower-cased (ASCII is its own NFD and holds no marks).
    @inline(__always)
    mutating func appendASCII(_ byte: UInt8) {
        if !pending.isEmpty { flushPending() }
        steps += 1
        output.append(byte)
        countGrowth()
    }

    mutating func finish() {
        if !pending.isEmpty { flushPending() }
    }

    private mutating func decomposition(of scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        if let known = decompositions[scalar.value] { return known }
        let parts = Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
        decompositions[scalar.value] = parts
        return parts
    }

    private mutating func flushPending() {
        if pending.count > 1 {
            // Stable by construction: ties keep their order of arrival.
            let ordered = pending.enumerated().sorted {
                ($0.element.combiningClass, $0.offset) < ($1.element.combiningClass, $1.offset)
            }
            steps += pending.count
            for entry in ordered { emit(entry.element.scalar) }
        } else {
            for entry in pending { emit(entry.scalar) }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Drops non-spacing marks (when stripping accents), lower-cases (Rust's char::to_lowercase:
    /// scalar by scalar, no final-sigma context) and writes UTF-8.
    private mutating func emit(_ scalar: Unicode.Scalar) {
        steps += 1
        if scalar.isASCII {
            let value = UInt8(scalar.value)
            output.append(lowercase && value >= 65 && value <= 90 ? value + 32 : value)
            countGrowth()
            return
        }
        if stripAccents, scalar.properties.generalCategory == .nonspacingMark { return }
        if lowercase {
            for lowered in scalar.properties.lowercaseMapping.unicodeScalars { appendUTF8(lowered, to: &output) }
        } else {
            appendUTF8(scalar, to: &output)
        }
        countGrowth()
    }
}
