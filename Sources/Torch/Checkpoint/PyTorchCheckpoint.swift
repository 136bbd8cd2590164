/// Reads `pytorch_model.bin` and other `torch.save`d state dicts: the zip archive of torch >= 1.6
/// (`ARCHIVE/data.pkl`, storages in `ARCHIVE/data/KEY`, `ARCHIVE/version`; entries stored
/// uncompressed; zip64 records read too).
///
/// libtorch 1.13's own `torch::pickle_load` cannot read these (it fails on the OrderedDict of
/// `state_dict()`, "Expected GenericDict but got None"), and microsoft/deberta-v3-* ship only
/// this format, so the archive and the pickle subset `torch.save` writes are read here in Swift,
/// as candle does in Rust. Nothing in the pickle is executed: only the globals a state dict
/// needs are recognised and anything else is an error.
public enum PyTorchCheckpoint {
    /// Nested dicts deeper than this are refused (a state dict is flat; a training checkpoint
    /// nests one or two levels), which also stops a dict that contains itself.
    static let maximumDepth = 16

    /// How many values (dicts and tensors) the flattening may visit: the size of `data.pkl` in
    /// bytes, at least 4096. A pickled value takes a few bytes at least, and a dict shared through
    /// the memo (`{"model": sd, "ema": sd}`) is visited once per reference, so a real state dict
    /// stays far below this; a crafted file that references one dict many times at every level
    /// (k^16 visits from a few hundred bytes) is refused instead of exhausting memory.
    static func maximumVisits(pickleBytes: Int) -> Int { Swift.max(pickleBytes, 4096) }

    /// Every tensor of the state dict by name (CPU, contiguous).
    ///
    /// Each tensor is built from its storage with the file's offset, sizes and strides, so views
    /// (a slice at a nonzero offset, a transposed weight) come out with the values PyTorch shows.
    /// Tensors that cover a whole storage shared by several names (tied weights) share one
    /// libtorch storage here too; any other tensor gets its own. Nested dicts are flattened with
    /// dots (`{"encoder": {"w": t}}` gives `encoder.w`); a value that is not a tensor or a dict is
    /// an error, as is a name that occurs twice after flattening.
    /// - Throws: ``CheckpointError`` naming the file (and the tensor): the legacy non-zip
    ///   format, a cut-off or corrupt archive, a missing storage entry, an unknown pickle opcode
    ///   or global, sizes and strides that reach past their storage.
    public static func read(path: String) throws -> [String: Tensor] {
        let file = try MappedFile(path: path)
        // The legacy format is a sequence of pickles; the first one starts with PROTO 2.
        if file.count >= 2, file.bytes[0] == 0x80, (2...5).contains(file.bytes[1]) {
            throw CheckpointError.unsupported(file: path, detail: "this is the legacy (torch < 1.6, non-zip) torch.save format, which is not supported; load it in PyTorch and save it again with torch.save (or as safetensors)")
        }
        guard file.count >= 4, file.littleEndian(at: 0, width: 4) == 0x0403_4b50 else {
            if file.count < 4 { throw CheckpointError.truncated(file: path, detail: "the file has \(file.count) bytes, fewer than a zip header") }
            throw CheckpointError.corrupt(file: path, detail: "not a zip archive (no \"PK\\u{3}\\u{4}\" at byte 0); torch.save writes one")
        }
        let archive = try ZipArchive(file: file)
        let pickles = archive.entries.keys.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }.sorted()
        guard pickles.count == 1, let pickleName = pickles.first, let pickle = archive.entries[pickleName] else {
            throw CheckpointError.corrupt(file: path, detail: "expected one ARCHIVE/data.pkl entry in the zip archive, found \(pickles.count) (\(pickles.joined(separator: ", ")))")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        // torch >= 2.1 records the byte order of the storages; older files are little-endian.
        if let order = archive.entries["\(prefix)byteorder"] {
            let text = String(decoding: file.slice(order.range), as: UTF8.self)
            guard text == "little" else {
                throw CheckpointError.unsupported(file: path, detail: "the storages are \(text)-endian; only little-endian checkpoints are read")
            }
        }
        var reader = PickleReader(file: path, bytes: file.slice(pickle.range))
        defer { reader.release() }
        let root = try reader.run()
        guard case .dict = root else {
            throw CheckpointError.unsupported(file: path, detail: "data.pkl holds a \(root.typeName), not a state dict (a dict of tensors)")
        }
        var loader = Loader(path: path, file: file, archive: archive, prefix: prefix,
                            visitsLeft: maximumVisits(pickleBytes: pickle.range.count))
        try loader.collect(root, name: "", depth: 0)
        return loader.result
    }

    /// Builds tensors from the storages of one archive.
    private struct Loader {
        let path: String
        let file: MappedFile
        let archive: ZipArchive
        let prefix: String
        var storages: [String: Tensor] = [:]
        var result: [String: Tensor] = [:]
        var visitsLeft: Int

        init(path: String, file: MappedFile, archive: ZipArchive, prefix: String, visitsLeft: Int) {
            self.path = path
            self.file = file
            self.archive = archive
            self.prefix = prefix
            self.visitsLeft = visitsLeft
        }

        mutating func collect(_ value: PickleValue, name: String, depth: Int) throws {
            visitsLeft -= 1
            guard visitsLeft >= 0 else {
                throw CheckpointError.unsupported(file: path, detail: "data.pkl refers to its dicts and tensors more often than its size allows (shared dicts referenced over and over); refused at \"\(name)\"")
            }
            switch value {
            case .dict(let dict):
                guard depth < PyTorchCheckpoint.maximumDepth else {
                    throw CheckpointError.unsupported(file: path, detail: "\"\(name)\" nests dicts more than \(PyTorchCheckpoint.maximumDepth) deep")
                }
                for (key, item) in dict.pairs {
                    guard case .string(let component) = key else {
                        throw CheckpointError.corrupt(file: path, detail: "a key of \(name.isEmpty ? "the state dict" : "\"\(name)\"") is a \(key.typeName), not a string")
                    }
                    try collect(item, name: name.isEmpty ? component : "\(name).\(component)", depth: depth + 1)
                }
            case .tensor(let reference):
                guard result[name] == nil else {
                    throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "the name occurs twice once nested dicts are flattened")
                }
                result[name] = try tensor(reference, name: name)
            default:
                throw CheckpointError.unsupported(file: path, detail: "\"\(name)\" holds a \(value.typeName), not a tensor; only dicts of tensors are read")
            }
        }

        /// The archive entry of a storage, checked against the element count the pickle gives.
        func storageRange(_ reference: TensorReference, name: String) throws -> Range<Int> {
            let entryName = "\(prefix)data/\(reference.storageKey)"
            guard let entry = archive.entries[entryName] else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "its storage \(entryName) is not in the archive")
            }
            let (needed, overflow) = reference.storageElements.multipliedReportingOverflow(by: reference.dtype.byteCount)
            guard !overflow, entry.range.count == needed else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "storage \(entryName) has \(entry.range.count) bytes but \(reference.storageElements) \(reference.dtype) elements need \(overflow ? "more" : String(needed))")
            }
            return entry.range
        }

        /// The whole storage as a 1-D tensor, made once per storage.
        mutating func storage(_ reference: TensorReference, name: String) throws -> Tensor {
            if let cached = storages[reference.storageKey] { return cached }
            let range = try storageRange(reference, name: name)
            let tensor = try Tensor(bytes: file.slice(range), shape: [reference.storageElements], dtype: reference.dtype)
            storages[reference.storageKey] = tensor
            return tensor
        }

        mutating func tensor(_ reference: TensorReference, name: String) throws -> Tensor {
            let shape = reference.shape
            let strides = reference.strides
            guard shape.count == strides.count else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "\(shape.count) sizes \(shape) but \(strides.count) strides \(strides)")
            }
            // Checked arithmetic: the sizes come from the file. `last` is the storage index of the last element.
            var elements = 1
            var last = reference.offset
            var valid = reference.offset >= 0 && !shape.contains { $0 < 0 } && !strides.contains { $0 < 0 }
            for (size, stride) in zip(shape, strides) where valid && size > 0 {
                let product = elements.multipliedReportingOverflow(by: size)
                let reach = (size - 1).multipliedReportingOverflow(by: stride)
                let sum = last.addingReportingOverflow(reach.partialValue)
                valid = !product.overflow && !reach.overflow && !sum.overflow
                (elements, last) = (product.partialValue, sum.partialValue)
            }
            if shape.contains(0) { elements = 0 }
            guard valid else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "size \(shape), stride \(strides) and storage offset \(reference.offset) do not describe a tensor")
            }
            guard elements == 0 || last < reference.storageElements else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "size \(shape), stride \(strides) and storage offset \(reference.offset) reach element \(last) of a storage of \(reference.storageElements) elements")
            }
            if elements == 0 {
                _ = try storageRange(reference, name: name)
                return try Tensor(bytes: UnsafeRawBufferPointer(start: nil, count: 0), shape: shape, dtype: reference.dtype)
            }
            // Row-major strides (ignoring dimensions of size 1, as PyTorch's is_contiguous does).
            var expected = 1
            var contiguous = true
            for (size, stride) in zip(shape, strides).reversed() where size != 1 {
                if stride != expected { contiguous = false }
                expected *= size
            }
            if contiguous, reference.offset == 0, elements == reference.storageElements {
                // The whole storage: share it with the other names that use it (tied weights).
                return try storage(reference, name: name).asStrided(shape: shape, strides: strides, offset: 0)
            }
            if contiguous {
                // Part of a storage: copy just that part, straight from the mapping.
                let range = try storageRange(reference, name: name)
                let size = reference.dtype.byteCount
                let start = range.lowerBound + reference.offset * size
                return try Tensor(bytes: file.slice(start..<(start + elements * size)), shape: shape, dtype: reference.dtype)
            }
            // Transposed or strided: gather from the whole storage into a new contiguous tensor.
            return try storage(reference, name: name).asStrided(shape: shape, strides: strides, offset: reference.offset).contiguous()
        }
    }
}

/// Checkpoint files of either format.
public enum Checkpoint {
    /// Reads a safetensors file or a `torch.save`d state dict: by extension (`.safetensors`;
    /// `.bin`, `.pt`, `.pth`, `.ckpt`), otherwise by content (a zip archive is a torch file).
    /// - Throws: ``CheckpointError`` as ``Safetensors/read(path:)`` and ``PyTorchCheckpoint/read(path:)`` do.
    public static func read(path: String) throws -> [String: Tensor] {
        let lowercased = path.lowercased()
        if lowercased.hasSuffix(".safetensors") { return try Safetensors.read(path: path) }
        if [".bin", ".pt", ".pth", ".ckpt"].contains(where: { lowercased.hasSuffix($0) }) {
            return try PyTorchCheckpoint.read(path: path)
        }
        let file = try MappedFile(path: path)
        let zip = file.count >= 4 && file.littleEndian(at: 0, width: 4) == 0x0403_4b50
        let legacy = file.count >= 2 && file.bytes[0] == 0x80 && (2...5).contains(file.bytes[1])
        return try zip || legacy ? PyTorchCheckpoint.read(path: path) : Safetensors.read(path: path)
    }
}
