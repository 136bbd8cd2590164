import FileIO

/// Checkpoint files are written with ``AtomicFileWriter`` (module FileIO): under a temporary name,
/// flushed, renamed over `path`; a failing system call becomes ``CheckpointError/cannotWrite(file:reason:)``.
enum AtomicWriter {
    /// `body` receives a sink that appends bytes to the file.
    static func write(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        do {
            try AtomicFileWriter.write(to: path, body)
        } catch let error as FileWriteError {
            throw CheckpointError.cannotWrite(file: path, reason: error.reason)
        }
    }
}
