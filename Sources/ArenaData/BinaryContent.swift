// Recognises files that are not text at all (compressed, archives, spreadsheets, UTF-16), so
// that a gzip file named train.csv is refused with a message saying what it is, instead of
// being read as CSV and printed back as binary garbage in a header error.

/// What the first bytes of a data file say it is, when it is not UTF-8 text.
public enum BinaryContent: Equatable, Sendable {
    case gzip
    case zip
    case bzip2
    case xz
    case zstd
    /// An OLE2 compound document: an Excel .xls workbook, for example.
    case ole2
    case parquet
    /// UTF-16 text, recognised by its byte-order mark.
    case utf16(bigEndian: Bool)
    /// A NUL byte at this 0-based offset within the inspected head of the file.
    case nulByte(offset: Int)

    /// How many bytes of the start of a file are inspected for NUL bytes.
    public static let inspectedLength = 1024

    /// Classifies the first bytes of a file (pass at least `inspectedLength` when the file has
    /// them); nil when they look like text.
    public static func detect<Bytes: Collection>(_ head: Bytes) -> BinaryContent? where Bytes.Element == UInt8 {
        let start = Array(head.prefix(8))
        func starts(with magic: [UInt8]) -> Bool { start.starts(with: magic) }
        if starts(with: [0x1F, 0x8B]) { return .gzip }
        // Local file header, empty archive, spanned archive.
        if starts(with: [0x50, 0x4B, 0x03, 0x04]) || starts(with: [0x50, 0x4B, 0x05, 0x06])
            || starts(with: [0x50, 0x4B, 0x07, 0x08])
        {
            return .zip
        }
        if starts(with: [0x42, 0x5A, 0x68]) && start.count > 3 && (0x31...0x39).contains(start[3]) { return .bzip2 }
        if starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return .ole2 }
        if starts(with: Array("PAR1".utf8)) { return .parquet }
        if starts(with: [0xFF, 0xFE]) { return .utf16(bigEndian: false) }
        if starts(with: [0xFE, 0xFF]) { return .utf16(bigEndian: true) }
        for (offset, byte) in head.prefix(inspectedLength).enumerated() where byte == 0 {
            return .nulByte(offset: offset)
        }
        return nil
    }

    /// What the file is, as the subject of a sentence: "a gzip-compressed file".
    public var what: String {
        switch self {
        case .gzip: return "a gzip-compressed file"
        case .zip: return "a zip archive (an .xlsx workbook is one too)"
        case .bzip2: return "a bzip2-compressed file"
        case .xz: return "an xz-compressed file"
        case .zstd: return "a zstd-compressed file"
        case .ole2: return "an Excel .xls workbook (an OLE2 document)"
        case .parquet: return "a Parquet file"
        case .utf16(let bigEndian): return "UTF-16 text (\(bigEndian ? "big" : "little")-endian byte-order mark)"
        case .nulByte(let offset): return "a binary file (byte \(offset + 1) is a NUL byte, which text never holds)"
        }
    }

    /// What to do about it.
    public var advice: String {
        switch self {
        case .gzip: return "decompress it first (gunzip)"
        case .zip: return "extract the data file from it first (unzip), or export the sheet as CSV"
        case .bzip2: return "decompress it first (bunzip2)"
        case .xz: return "decompress it first (unxz)"
        case .zstd: return "decompress it first (unzstd)"
        case .ole2: return "export the sheet as CSV first"
        case .parquet: return "convert it first, for example with pandas: read_parquet(...).to_csv(..., index=False)"
        case .utf16: return "convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)"
        case .nulByte: return "expected UTF-8 text; is this the right file, or is it UTF-16 or compressed?"
        }
    }
}
