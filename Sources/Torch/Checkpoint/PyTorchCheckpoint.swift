/// Reads `pytorch_model.bin` and other `torch.save`d state dicts: the zip archive of torch >= 1.6
/// (`NAME/data.pkl`, `NAME/data/KEY` storages, `NAME/version`). libtorch 1.13's own
/// `torch::pickle_load` cannot read these (it fails on the OrderedDict of `state_dict()`, "Expected
/// GenericDict but got None"), and microsoft/deberta-v3-* ship only this format, so the archive
/// and the pickle subset are read here, as candle does.
public enum PyTorchCheckpoint {
    /// Every tensor of the state dict by name (CPU, contiguous). Nested dicts are flattened with
    /// dots; anything else that is not a tensor is an error.
    public static func read(path: String) throws -> [String: Tensor] {
        let file = try MappedFile(path: path)
        if file.count >= 2, file.bytes[0] == 0x80, file.bytes[1] <= 5 {
            throw CheckpointError.unsupported(file: path, detail: "the legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with torch.save in a recent PyTorch")
        }
        guard file.count >= 4, file.littleEndian(at: 0, width: 4) == 0x0403_4b50 else {
            if file.count < 4 { throw CheckpointError.truncated(file: path, detail: "\(file.count) bytes") }
            throw CheckpointError.corrupt(file: path, detail: "not a zip archive (torch.save writes one)")
        }
        let archive = try ZipArchive(file: file)
        let pickles = archive.entries.keys.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }
        guard pickles.count == 1, let pickleName = pickles.first, let pickle = archive.entries[pickleName] else {
            throw CheckpointError.corrupt(file: path, detail: "expected one ARCHIVE/data.pkl entry, found \(pickles.count)")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        var reader = PickleReader(file: path, bytes: file.slice(pickle.range))
        let root = try reader.run()

        var storages: [String: Tensor] = [:]
        func storage(_ reference: TensorReference, name: String) throws -> Tensor {
            if let cached = storages[reference.storageKey] { return cached }
            guard let entry = archive.entries["\(prefix)data/\(reference.storageKey)"] else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "its storage \(prefix)data/\(reference.storageKey) is not in the archive")
            }
            let (needed, overflow) = reference.storageElements.multipliedReportingOverflow(by: reference.dtype.byteCount)
            guard !overflow, reference.storageElements >= 0, entry.range.count == needed else {
                throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "storage \(reference.storageKey) has \(entry.range.count) bytes, \(reference.storageElements) \(reference.dtype) elements need \(needed)")
            }
            let tensor = try Tensor(bytes: file.slice(entry.range), shape: [reference.storageElements], dtype: reference.dtype)
            storages[reference.storageKey] = tensor
            return tensor
        }

        var result: [String: Tensor] = [:]
        func collect(_ value: PickleValue, name: String) throws {
            switch value {
            case .dict(let pairs):
                for (key, item) in pairs {
                    guard case .string(let component) = key else {
                        throw CheckpointError.corrupt(file: path, detail: "a state dict key is a \(key.typeName), not a string")
                    }
                    try collect(item, name: name.isEmpty ? component : "\(name).\(component)")
                }
            case .tensor(let reference):
                guard reference.shape.count == reference.strides.count else {
                    throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "\(reference.shape.count) sizes but \(reference.strides.count) strides")
                }
                // Checked arithmetic: the sizes come from the file.
                var elements = 1
                var last = reference.offset
                var overflow = reference.shape.contains { $0 < 0 }
                for (size, stride) in zip(reference.shape, reference.strides) where !overflow {
                    let product = elements.multipliedReportingOverflow(by: size)
                    let reach = (size - 1).multipliedReportingOverflow(by: stride)
                    let sum = last.addingReportingOverflow(reach.partialValue)
                    overflow = product.overflow || reach.overflow || sum.overflow
                    elements = product.partialValue
                    last = sum.partialValue
                }
                guard !overflow else {
                    throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "size \(reference.shape) and stride \(reference.strides) are not valid")
                }
                if elements > 0 {
                    guard reference.offset >= 0, reference.strides.allSatisfy({ $0 >= 0 }), last < reference.storageElements else {
                        throw CheckpointError.invalidTensor(file: path, tensor: name, detail: "size \(reference.shape), stride \(reference.strides) and offset \(reference.offset) reach past its storage of \(reference.storageElements) elements")
                    }
                }
                let base = try storage(reference, name: name)
                let view = try base.asStrided(shape: reference.shape, strides: reference.strides, offset: reference.offset)
                // A tensor covering all of its storage keeps it; a view of part of one is copied
                // so that it does not pin the rest.
                result[name] = try elements == reference.storageElements ? view.contiguous() : view.clone()
            default:
                throw CheckpointError.unsupported(file: path, detail: "\"\(name)\" holds a \(value.typeName), not a tensor")
            }
        }
        try collect(root, name: "")
        return result
    }
}

/// Checkpoint files of either format.
public enum Checkpoint {
    /// Reads a safetensors file (`.safetensors`) or a `torch.save`d state dict (anything else,
    /// e.g. `pytorch_model.bin`).
    public static func read(path: String) throws -> [String: Tensor] {
        if path.hasSuffix(".safetensors") { return try Safetensors.read(path: path) }
        return try PyTorchCheckpoint.read(path: path)
    }
}
