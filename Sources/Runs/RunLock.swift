import ArenaData

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a run being written: `flock(2)` on `NAME.lock` beside the run folder,
/// holding the writer's process id. A second writer of the same run is refused with the
/// holder's pid; the kernel drops the lock when the holder exits, however it ends (a `kill -9`
/// leaves a stale file that the next writer simply locks again).
public final class RunLock: @unchecked Sendable {
    /// The lock file.
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file of the run at `runPath`.
    public static func lockPath(forRun runPath: String) -> String { runPath + ".lock" }

    /// Takes the lock of the run at `runPath`, or throws `RunError.runLocked` naming the
    /// process that holds it.
    public static func acquire(forRun runPath: String) throws(RunError) -> RunLock {
        let path = lockPath(forRun: runPath)
        // A holder removes the file when it releases; a waiter that locked the removed file
        // sees that the path no longer names it and tries again.
        for _ in 0..<100 {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw RunError.io(DataError.writeFailed(path: path, reason: String(cString: strerror(errno))))
            }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let holder = readHolder(descriptor)
                close(descriptor)
                if code == EWOULDBLOCK { throw RunError.runLocked(path: runPath, holder: holder) }
                throw RunError.io(DataError.writeFailed(path: path, reason: String(cString: strerror(code))))
            }
            var opened = stat()
            var current = stat()
            guard fstat(descriptor, &opened) == 0, stat(path, &current) == 0,
                opened.st_dev == current.st_dev, opened.st_ino == current.st_ino
            else {
                close(descriptor)
                continue
            }
            let text = Array("\(getpid())\n".utf8)
            _ = ftruncate(descriptor, 0)
            _ = text.withUnsafeBufferPointer { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            return RunLock(path: path, descriptor: descriptor)
        }
        throw RunError.io(DataError.writeFailed(path: path, reason: "the lock file keeps being replaced by other processes"))
    }

    /// Removes the lock file and drops the lock (also done when the lock is freed).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The process id written in a lock file, if it holds one.
    private static func readHolder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first ?? ""
        return Int32(text)
    }
}
