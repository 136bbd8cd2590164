/// The central directory of a zip archive whose entries are stored uncompressed, as `torch.save`
/// writes them, zip64 records included (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT,
/// 4.3). Entries are byte ranges of the memory-mapped file, so nothing is copied here: a zip
/// library would hand each entry over in a new buffer, breaking the one-copy rule for large
/// checkpoints. Every offset read from the file is checked, with checked arithmetic, before use.
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
        func field(_ offset: Int, _ width: Int) throws -> UInt64 {
            guard offset >= 0, offset <= size - width else {
                throw truncated("the zip structure at byte \(offset) needs \(width) bytes but the file ends at byte \(size)")
            }
            return file.littleEndian(at: offset, width: width)
        }
        func u16(_ offset: Int) throws -> Int { Int(try field(offset, 2)) }
        func u32(_ offset: Int) throws -> Int { Int(try field(offset, 4)) }
        func u64(_ offset: Int) throws -> Int {
            let value = try field(offset, 8)
            // Nothing in a mapped file lies beyond Int.max; refusing larger values keeps the sums below from overflowing.
            guard value < UInt64(Int.max / 2) else { throw corrupt("the zip64 field at byte \(offset) is \(value), larger than any file") }
            return Int(value)
        }
        func end(_ start: Int, _ count: Int, _ what: String) throws -> Int {
            let (sum, overflow) = start.addingReportingOverflow(count)
            guard !overflow, sum <= size else {
                throw truncated("\(what) needs bytes \(start)..<\(overflow ? "(overflow)" : String(sum)) but the file ends at byte \(size)")
            }
            return sum
        }

        // End of central directory record: 22 bytes plus a comment of at most 65,535 bytes,
        // found by scanning back from the end.
        var eocd = -1
        var position = size - 22
        let lowest = Swift.max(0, size - 22 - 65_535)
        while position >= lowest {
            if try u32(position) == 0x0605_4b50 { eocd = position; break }
            position -= 1
        }
        guard eocd >= 0 else {
            throw truncated("no zip end-of-central-directory record in the last \(Swift.min(size, 22 + 65_535)) bytes (the file is cut off, or not a zip archive)")
        }
        var count = try u16(eocd + 10)
        var directorySize = try u32(eocd + 12)
        var directoryOffset = try u32(eocd + 16)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a 20-byte locator sits right before the classic record and points at the zip64 record.
            let locator = eocd - 20
            guard locator >= 0, try u32(locator) == 0x0706_4b50 else {
                throw corrupt("the end-of-central-directory record at byte \(eocd) has zip64 markers but no zip64 locator before it")
            }
            let record = try u64(locator + 8)
            guard try u32(record) == 0x0606_4b50 else {
                throw corrupt("the zip64 locator points at byte \(record), which holds no zip64 end-of-central-directory record")
            }
            count = try u64(record + 32)
            directorySize = try u64(record + 40)
            directoryOffset = try u64(record + 48)
        }
        let directoryEnd = try end(directoryOffset, directorySize, "the zip central directory")
        var entries: [String: Entry] = [:]
        var cursor = directoryOffset
        for index in 0..<count {
            guard cursor + 46 <= directoryEnd, try u32(cursor) == 0x0201_4b50 else {
                throw corrupt("zip central directory entry \(index) of \(count) expected at byte \(cursor)")
            }
            let method = try u16(cursor + 10)
            var compressed = try u32(cursor + 20)
            var uncompressed = try u32(cursor + 24)
            let nameLength = try u16(cursor + 28)
            let extraLength = try u16(cursor + 30)
            let commentLength = try u16(cursor + 32)
            var localOffset = try u32(cursor + 42)
            let nameEnd = try end(cursor + 46, nameLength, "a zip entry name")
            let name = String(decoding: file.slice((cursor + 46)..<nameEnd), as: UTF8.self)
            // Zip64 extended information (id 1): the 64-bit values of the fields set to
            // 0xFFFFFFFF, in this order (APPNOTE 4.5.3).
            var extra = nameEnd
            let extraEnd = try end(nameEnd, extraLength, "the extra fields of zip entry \(name)")
            while extra + 4 <= extraEnd {
                let id = try u16(extra)
                let length = try u16(extra + 2)
                let blockEnd = extra + 4 + length
                guard blockEnd <= extraEnd else { throw corrupt("an extra field of zip entry \(name) runs past its entry") }
                if id == 1 {
                    var value = extra + 4
                    func next() throws -> Int {
                        guard value + 8 <= blockEnd else { throw corrupt("the zip64 extra field of entry \(name) is too short") }
                        defer { value += 8 }
                        return try u64(value)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra = blockEnd
            }
            guard method == 0 else {
                throw CheckpointError.unsupported(file: file.path, detail: "zip entry \(name) is compressed (method \(method)); torch.save stores entries uncompressed")
            }
            guard compressed == uncompressed else {
                throw corrupt("zip entry \(name) is stored uncompressed but its sizes differ (\(compressed) and \(uncompressed) bytes)")
            }
            guard try u32(localOffset) == 0x0403_4b50 else {
                throw corrupt("zip entry \(name): no local header at byte \(localOffset)")
            }
            let start = try end(localOffset + 30, try u16(localOffset + 26) + (try u16(localOffset + 28)), "the local header of zip entry \(name)")
            let stop = try end(start, compressed, "zip entry \(name)")
            entries[name] = Entry(name: name, range: start..<stop)
            cursor = try end(extraEnd, commentLength, "the comment of zip entry \(name)")
        }
        self.entries = entries
    }
}
