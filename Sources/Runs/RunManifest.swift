import ArenaData
import CCrypto
import Foundation
import Prediction

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 through OpenSSL's libcrypto (its assembly kernels: a fine-tuned run's weights are
/// hashed in a fraction of a second, in debug builds too).
public enum SHA256 {
    /// The lowercase hex digest of `bytes`.
    public static func hex(of bytes: [UInt8]) throws(DataError) -> String {
        let digest = Digest()
        try bytes.withUnsafeBufferPointer { buffer throws(DataError) in try digest.update(buffer) }
        return try digest.finish()
    }

    /// The lowercase hex digest of the file at `path`, read in 4 MiB pieces.
    public static func hex(ofFile path: String) throws(DataError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DataError.csv(.cannotOpen(path: path, reason: String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        let digest = Digest()
        let capacity = 4 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw DataError.csv(.readFailed(path: path, reason: String(cString: strerror(errno))))
            }
            if count == 0 { break }
            try digest.update(UnsafeBufferPointer(start: buffer, count: count))
        }
        return try digest.finish()
    }

    /// One running digest (an `EVP_MD_CTX`).
    private final class Digest {
        let context: OpaquePointer?

        init() {
            context = EVP_MD_CTX_new()
            if let context { _ = EVP_DigestInit_ex(context, EVP_sha256(), nil) }
        }

        deinit { EVP_MD_CTX_free(context) }

        func update(_ bytes: UnsafeBufferPointer<UInt8>) throws(DataError) {
            guard let context, EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1 else {
                throw DataError.invalidArgument("libcrypto could not update a SHA-256 digest")
            }
        }

        func finish() throws(DataError) -> String {
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            guard let context, EVP_DigestFinal_ex(context, &output, &length) == 1, length == 32 else {
                throw DataError.invalidArgument("libcrypto could not finish a SHA-256 digest")
            }
            return output.prefix(32).map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }
    }
}

/// The files of a run folder and their SHA-256 digests, as listed in its `config.json`
/// (`RunConfig.files`): a file copied in from another run, changed after training or missing is
/// found when the run is loaded, and the message names it.
public enum RunManifest {
    /// Every regular file under `folder` (relative paths with "/", sorted) but those `excluding`
    /// (relative paths), with its digest.
    public static func digests(of folder: String, excluding: Set<String>) throws(RunError) -> [String: String] {
        var result: [String: String] = [:]
        for name in try files(under: folder) where !excluding.contains(name) {
            do { result[name] = try SHA256.hex(ofFile: folder + "/" + name) } catch { throw RunError.io(error) }
        }
        return result
    }

    /// Checks every file `config` lists against the run at `runPath`.
    public static func verify(runPath: String, files: [String: String]) throws(RunError) {
        for (name, expected) in files.sorted(by: { $0.key < $1.key }) {
            guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                throw RunError.corruptRun(path: runPath + "/config.json", reason: "the file list names \"\(name)\", outside the run folder")
            }
            let path = runPath + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                throw RunError.corruptRun(path: path, reason: "config.json lists this file but it is missing; was the run copied whole?")
            }
            let actual: String
            do { actual = try SHA256.hex(ofFile: path) } catch { throw RunError.io(error) }
            guard actual == expected else {
                throw RunError.foreignFile(path: path, expected: expected, actual: actual)
            }
        }
    }

    /// Relative paths of the regular files under `folder`, sorted; symbolic links are refused
    /// (a run holds its own files).
    static func files(under folder: String) throws(RunError) -> [String] {
        var result: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? folder : folder + "/" + relative
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw RunError.io(DataError.csv(.cannotOpen(path: directory, reason: error.localizedDescription)))
            }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                var status = stat()
                guard lstat(folder + "/" + child, &status) == 0 else {
                    throw RunError.io(DataError.csv(.cannotOpen(path: folder + "/" + child, reason: String(cString: strerror(errno)))))
                }
                switch status.st_mode & S_IFMT {
                case S_IFDIR: pending.append(child)
                case S_IFREG: result.append(child)
                default:
                    throw RunError.corruptRun(
                        path: folder + "/" + child, reason: "a run folder holds only regular files and folders, not links or devices")
                }
            }
        }
        return result.sorted()
    }
}
