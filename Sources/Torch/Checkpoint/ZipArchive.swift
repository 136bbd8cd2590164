/// The central directory of a zip archive whose entries are stored uncompressed, as `torch.save`
/// writes them (zip64 records included). Entries are byte ranges of the memory-mapped file, so
/// nothing is copied here. ZIPFoundation would hand each entry through a closure into a new
/// buffer; reading the directory ourselves keeps the one-copy rule for large checkpoints.
struct ZipArchive {
    struct Entry {
        let name: String
        /// Where the entry's bytes are in the file.
        let range: Range<Int>
    }

    let path: String
    let entries: [String: Entry]

    init(file: MappedFile) throws {
        path = file.path
        let size = file.count
        func truncated(_ detail: String) -> CheckpointError { .truncated(file: file.path, detail: detail) }
        func corrupt(_ detail: String) -> CheckpointError { .corrupt(file: file.path, detail: detail) }
        func u16(_ offset: Int) throws -> Int {
            guard offset >= 0, offset + 2 <= size else { throw truncated("the zip structure at byte \(offset) runs past the end (\(size) bytes)") }
            return Int(file.littleEndian(at: offset, width: 2))
        }
        func u32(_ offset: Int) throws -> Int {
            guard offset >= 0, offset + 4 <= size else { throw truncated("the zip structure at byte \(offset) runs past the end (\(size) bytes)") }
            return Int(file.littleEndian(at: offset, width: 4))
        }
        func u64(_ offset: Int) throws -> Int {
            guard offset >= 0, offset + 8 <= size else { throw truncated("the zip structure at byte \(offset) runs past the end (\(size) bytes)") }
            let value = file.littleEndian(at: offset, width: 8)
            guard value <= UInt64(Int.max) else { throw corrupt("a zip64 field at byte \(offset) is too large") }
            return Int(value)
        }

        // End of central directory: 22 bytes plus a comment of at most 65,535 bytes.
        var eocd = -1
        var position = size - 22
        let lowest = Swift.max(0, size - 22 - 65_535)
        while position >= lowest {
            if try u32(position) == 0x0605_4b50 { eocd = position; break }
            position -= 1
        }
        guard eocd >= 0 else {
            throw truncated("no zip end-of-central-directory record (the file is cut off or not a zip archive)")
        }
        var count = try u16(eocd + 10)
        var directorySize = try u32(eocd + 12)
        var directoryOffset = try u32(eocd + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator sits right before the classic record and points at the zip64 record.
            let locator = eocd - 20
            guard locator >= 0, try u32(locator) == 0x0706_4b50 else { throw corrupt("zip64 fields without a zip64 locator") }
            let record = try u64(locator + 8)
            guard try u32(record) == 0x0606_4b50 else { throw corrupt("the zip64 locator points at byte \(record), which is not a zip64 record") }
            count = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        guard directoryOffset + directorySize <= size else {
            throw truncated("the zip central directory [\(directoryOffset), \(directoryOffset + directorySize)) lies past the end (\(size) bytes)")
        }
        var entries: [String: Entry] = [:]
        var cursor = directoryOffset
        for _ in 0..<count {
            guard try u32(cursor) == 0x0201_4b50 else { throw corrupt("zip central directory entry expected at byte \(cursor)") }
            let method = try u16(cursor + 10)
            var compressed = try u32(cursor + 20)
            var uncompressed = try u32(cursor + 24)
            let nameLength = try u16(cursor + 28)
            let extraLength = try u16(cursor + 30)
            let commentLength = try u16(cursor + 32)
            var localOffset = try u32(cursor + 42)
            guard cursor + 46 + nameLength <= size else { throw truncated("a zip entry name runs past the end") }
            let name = String(decoding: file.slice((cursor + 46)..<(cursor + 46 + nameLength)), as: UTF8.self)
            // Zip64 extended information (id 1): the 64-bit values of the fields set to 0xFFFFFFFF, in order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra)
                let length = try u16(extra + 2)
                if id == 1 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(field); field += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try u64(field); field += 8 }
                }
                extra += 4 + length
            }
            guard method == 0 else {
                throw CheckpointError.unsupported(file: file.path, detail: "zip entry \(name) is compressed (method \(method)); torch.save stores entries uncompressed")
            }
            guard compressed == uncompressed else { throw corrupt("zip entry \(name) is stored but its sizes differ") }
            guard try u32(localOffset) == 0x0403_4b50 else { throw corrupt("zip entry \(name): no local header at byte \(localOffset)") }
            let start = localOffset + 30 + (try u16(localOffset + 26)) + (try u16(localOffset + 28))
            guard start + compressed <= size else {
                throw truncated("zip entry \(name) needs bytes [\(start), \(start + compressed)) but the file has \(size)")
            }
            entries[name] = Entry(name: name, range: start..<(start + compressed))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }
}
